package io.icws.licenses.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The jar's embedded broker starts in the background: its connection factory waits for it, and a broker that
 * cannot start says why (where its data is) instead of leaving the JMS target to fail later without a reason.
 */
class EmbeddedJmsBrokerTest {

    @Test
    void connectionsWaitForTheBrokerStartingInTheBackground(@TempDir Path folder) throws Exception {
        EmbeddedJmsBroker broker = new EmbeddedJmsBroker(folder.resolve("broker"), 0);
        broker.start();
        try (Connection connection = broker.connectionFactory().createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            session.createProducer(session.createQueue("q")).send(session.createTextMessage("hello"));
            MessageConsumer consumer = session.createConsumer(session.createQueue("q"));
            assertThat(((TextMessage) consumer.receive(5000)).getText()).isEqualTo("hello");
        } finally {
            broker.stop();
        }
    }

    @Test
    void aBrokerThatCannotStartSaysWhy(@TempDir Path folder) throws Exception {
        Path notAFolder = Files.writeString(folder.resolve("broker"), "a file where the data folder should be");
        EmbeddedJmsBroker broker = new EmbeddedJmsBroker(notAFolder, 0);
        broker.start();
        try {
            assertThatThrownBy(() -> broker.awaitStarted(Duration.ofSeconds(30)))
                    .hasMessageStartingWith("Invalid setting icws.notify.jms.embedded-data-directory: the embedded JMS "
                            + "broker did not start")
                    .hasMessageContaining(notAFolder.toString());
            assertThatThrownBy(() -> broker.connectionFactory().createConnection())
                    .isInstanceOf(JMSException.class).hasMessageContaining("did not start");
        } finally {
            broker.stop();
        }
    }
}
