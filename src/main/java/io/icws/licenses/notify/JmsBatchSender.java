package io.icws.licenses.notify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.icws.licenses.state.LicenseChangeEvent;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.camel.Body;
import org.springframework.jms.core.JmsTemplate;

/**
 * Sends the events of one exchange of the JMS target (bean {@code icwsJmsSender}, the step after
 * {@code transacted: icwsJmsTransaction}): one persistent text message per event, in order, on the session of
 * the transaction that step began, through one producer. The transaction manager commits once when the route is
 * done, or rolls back when a send failed: the batch is on the queue whole or not at all.
 *
 * <p>Each message: the CloudEvents JSON document as the text ({@link EventDocuments}, the file target's too), and
 * as the only properties (JMS string properties, for selectors) {@code license} and {@code user}
 * ({@link ChangeFormats#licenseHeader} / {@link ChangeFormats#userHeader}: sanitised, bounded), {@code changeType}
 * and {@code eventId}; nothing of the exchange's headers.
 *
 * <p>Why a bean and not a split with a {@code to jms:} per event (what the target was before): camel-jms is made
 * for one exchange, one message. Per event the split copied the exchange and ran its steps, and camel-jms looked
 * its template up, asked Spring for the transaction's session again and made the message from the exchange's
 * headers: half the target thread's time, and that one thread is what limits the target. In the benchmark's
 * burst of 10,000 events the time from the commit to the last message on the embedded broker went from 4.9 s
 * (cold JVM) and 2.2 s (warm) to 2.4 s and 1.7 s. A camel-jms endpoint of your own, with all of Camel's options,
 * is still a target: {@code icws.notify.endpoints} (one exchange per event).
 *
 * <p>Failures are JMS's own (Spring's {@code JmsException} around a {@code JMSException}), which the outbox sorts
 * as for camel-jms: a message format problem is a refusal of that event, anything else an outage.
 *
 * <p>Thread-safe: the session is the calling thread's (its transaction's).
 */
public final class JmsBatchSender {

    /** Registry name of the bean the JMS target's route names. */
    public static final String BEAN = "icwsJmsSender";

    private final JmsTemplate template;
    private final String destination;
    private final ChangeFormats formats = new ChangeFormats();

    /**
     * @param factory     the target's connection factory (the one the transaction manager of
     *                    {@code icwsJmsTransaction} is on, so the transaction's session is found)
     * @param destination the queue, {@code icws.notify.jms.destination}
     */
    public JmsBatchSender(ConnectionFactory factory, String destination) {
        if (destination == null || destination.isBlank()) {
            throw new IllegalArgumentException("The JMS target needs a queue name (icws.notify.jms.destination)");
        }
        this.template = new JmsTemplate(factory);
        // with no transaction of the route's (a host that calls this bean bare), the batch is its own transaction
        this.template.setSessionTransacted(true);
        this.destination = destination;
    }

    /**
     * Sends every event of the body (a list of events, as the outbox's batches come, or one event) in order.
     *
     * @throws IllegalArgumentException when something in the body is not an event with its data (refused)
     */
    public void send(@Body Object body) throws JsonProcessingException {
        List<?> events = body instanceof List<?> list ? list : Collections.singletonList(body);
        // every message's content made first: an event that cannot be sent is refused before anything is sent
        List<LicenseChangeEvent> checked = new ArrayList<>(events.size());
        List<String> texts = new ArrayList<>(events.size());
        for (Object event : events) {
            LicenseChangeEvent e = EventDocuments.event(event, "JMS");
            if (e.data() == null) {
                throw new IllegalArgumentException("License change event " + formats.headerValue(e.id())
                        + " carries no data");
            }
            checked.add(e);
            texts.add(EventDocuments.text(e));
        }
        template.execute((Session session) -> {
            MessageProducer producer = session.createProducer(session.createQueue(destination));
            try {
                for (int i = 0; i < checked.size(); i++) {
                    producer.send(message(session, checked.get(i), texts.get(i)), DeliveryMode.PERSISTENT,
                            jakarta.jms.Message.DEFAULT_PRIORITY, jakarta.jms.Message.DEFAULT_TIME_TO_LIVE);
                }
            } finally {
                producer.close(); // back to the cache of the caching factory
            }
            return null;
        }, true);
    }

    private TextMessage message(Session session, LicenseChangeEvent event, String text) throws JMSException {
        TextMessage message = session.createTextMessage(text);
        message.setStringProperty("license", formats.licenseHeader(event));
        message.setStringProperty("user", formats.userHeader(event));
        message.setStringProperty("changeType", event.data().changeType());
        message.setStringProperty("eventId", event.id());
        return message;
    }

    @Override
    public String toString() {
        return "JmsBatchSender[" + destination + "]";
    }
}
