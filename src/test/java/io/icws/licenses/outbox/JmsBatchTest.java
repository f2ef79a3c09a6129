package io.icws.licenses.outbox;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.app.EmbeddedJmsBroker;
import io.icws.licenses.notify.JmsBatchSender;
import io.icws.licenses.notify.JmsTarget;
import io.icws.licenses.routes.IcwsErrorHandling;
import io.icws.licenses.state.LicenseChangeEvent;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The JMS target takes its queue in batches ({@code batchSize}): a batch goes in one local JMS transaction
 * ({@code transacted} with {@link JmsTarget#TRANSACTION}, then {@link JmsBatchSender} sends one message per event
 * on the transaction's session, as the target routes have it), committed once. A real ActiveMQ Artemis broker on
 * loopback, a real outbox and dead letters; the client's sessions are watched for commits and rollbacks, and its
 * producers for each send (where a test makes the broker go away, or refuses a message as a broker would:
 * {@code MessageFormatException}).
 */
class JmsBatchTest {

    private static final String OPTIONS = "?batchSize=100&maximumRedeliveries=2&redeliveryDelay=50"
            + "&maximumRedeliveryDelay=200";

    @TempDir
    Path dir;

    private final ObjectMapper mapper = new ObjectMapper();
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicInteger rollbacks = new AtomicInteger();
    private Outbox outbox;
    private DeadLetters deadLetters;
    private EmbeddedJmsBroker broker;
    private int port;
    private CamelContext context;
    private long lastSequence;

    @BeforeEach
    void start() throws Exception {
        outbox = new FileOutbox(dir.resolve("outbox"), mapper);
        outbox.start();
        deadLetters = new DeadLetters(dir.resolve("dead-letter"), mapper, outbox, Clock.systemUTC());
        port = freePort();
        broker = new EmbeddedJmsBroker(dir.resolve("broker"), port);
        broker.awaitStarted(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() throws Exception {
        if (context != null) {
            context.stop();
        }
        broker.stop();
        outbox.stop();
    }

    /** What a test does at each send of the target's producers (before the message goes to the broker). */
    private interface OnSend {
        void sending(Message message) throws Exception;
    }

    private OnSend onSend = message -> { };

    /**
     * The JMS target as the routes have it (one transaction per exchange, {@link JmsBatchSender} sends the
     * batch), with a step the test chooses before the sender (the exchange's body the batch).
     */
    private void startTarget(Processor beforeSending) throws Exception {
        context = new DefaultCamelContext();
        context.getRegistry().bind(OutboxComponent.OUTBOX_BEAN, outbox);
        context.getRegistry().bind(OutboxComponent.DEAD_LETTERS_BEAN, deadLetters);
        JmsTarget.bindReusing(context, watched(new ActiveMQConnectionFactory(
                "tcp://127.0.0.1:" + port + "?reconnectAttempts=0&retryInterval=50&callTimeout=2000")));
        JmsTarget.bindTransaction(context, "changes");
        context.addRoutes(new IcwsErrorHandling());
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("icws-outbox:jms" + OPTIONS).routeId("notify-jms").routeConfigurationId("icws-target")
                        .transacted(JmsTarget.TRANSACTION)
                        .process(beforeSending)
                        .bean(JmsBatchSender.BEAN, "send");
            }
        });
        context.start();
    }

    @Test
    void pendingEventsGoInOneTransactionInOrder() throws Exception {
        List<LicenseChangeEvent> events = append(IntStream.rangeClosed(1, 50).mapToObj(i -> "I3_" + i)
                .toArray(String[]::new));
        AtomicInteger sends = new AtomicInteger();
        onSend = message -> sends.incrementAndGet();

        startTarget(e -> { });

        await().atMost(Duration.ofSeconds(20)).until(() -> delivered() == 50);
        assertThat(receiveAll(50)).containsExactlyElementsOf(ids(events));
        assertThat(sends).hasValue(50);
        assertThat(commits).as("commits of the target's sessions").hasValue(1);
        assertThat(rollbacks).hasValue(0);
        // one cursor move past the last of them
        assertThat(outbox.queues()).singleElement().satisfies(q -> assertThat(((Cursor) q.progress()).value()).isEqualTo(lastSequence));
    }

    @Test
    void eachEventIsOnePersistentTextMessageOfItsJsonWithItsFourPropertiesOnly() throws Exception {
        List<LicenseChangeEvent> events = append("I3_A", "I3_\r\nB\u0000");

        startTarget(e -> e.getMessage().setHeader("Unwanted", "not a property"));
        // (a header on the exchange never becomes a property: the messages are made from the events alone)

        await().atMost(Duration.ofSeconds(20)).until(() -> delivered() == 2);
        List<Message> messages = receiveMessages(2);
        for (int i = 0; i < 2; i++) {
            LicenseChangeEvent event = events.get(i);
            Message message = messages.get(i);
            assertThat(message).isInstanceOf(TextMessage.class);
            assertThat(message.getJMSDeliveryMode()).isEqualTo(jakarta.jms.DeliveryMode.PERSISTENT);
            // the document marshal: json writes (a plain ObjectMapper), byte for byte
            assertThat(((TextMessage) message).getText()).isEqualTo(mapper.writeValueAsString(event));
            assertThat(message.getStringProperty("eventId")).isEqualTo(event.id());
            assertThat(message.getStringProperty("user")).isEqualTo("agent1");
            assertThat(message.getStringProperty("changeType")).isEqualTo("unassigned");
            List<String> names = new ArrayList<>();
            for (var e = message.getPropertyNames(); e.hasMoreElements(); ) {
                String name = (String) e.nextElement();
                if (!name.startsWith("JMSX") && !name.startsWith("__AMQ")) {
                    names.add(name);
                }
            }
            assertThat(names).as("the message's own properties")
                    .containsExactlyInAnyOrder("license", "user", "changeType", "eventId");
        }
        assertThat(messages.get(0).getStringProperty("license")).isEqualTo("I3_A");
        // sanitised for a property (no control characters), the document keeps what the server sent
        assertThat(messages.get(1).getStringProperty("license")).isEqualTo("I3_B");
        assertThat(mapper.readTree(((TextMessage) messages.get(1)).getText()).path("data").path("license").asText())
                .isEqualTo("I3_\r\nB\u0000");
        assertThat(commits).hasValue(1);
    }

    @Test
    void aBrokerGoneMidBatchHoldsTheWholeBatchAndItComesWholeWithTheSameIdsOnceBack() throws Exception {
        List<LicenseChangeEvent> events = append("I3_A", "I3_B", "I3_C", "I3_D", "I3_E", "I3_F");
        AtomicInteger sends = new AtomicInteger();
        AtomicBoolean stopped = new AtomicBoolean();
        // the broker goes away after the third event of the first batch was sent (not committed)
        onSend = message -> {
            if (sends.incrementAndGet() == 4 && stopped.compareAndSet(false, true)) {
                broker.stop();
            }
        };
        startTarget(e -> { });

        await().atMost(Duration.ofSeconds(30)).until(() -> attempts() >= 5);
        assertThat(health().get("state")).isEqualTo("outage");
        assertThat(health().get("queue.depth")).isEqualTo(6);
        assertThat(health().get("failing.event")).isEqualTo(events.get(0).id());
        assertThat(deadLetterDocuments()).isEmpty();

        broker = new EmbeddedJmsBroker(dir.resolve("broker"), port);
        broker.awaitStarted(Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(20)).until(() -> delivered() == 6);
        // every event once, in order: the three sent before the broker went were never committed
        assertThat(receiveAll(6)).containsExactlyElementsOf(ids(events));
        assertThat(deadLetterDocuments()).isEmpty();
    }

    @Test
    void anEventRefusedInsideABatchGoesAloneToTheDeadLettersAndTheOthersArriveOnce() throws Exception {
        List<LicenseChangeEvent> events = append("I3_A", "I3_B", "I3_BAD", "I3_D", "I3_E");
        AtomicInteger triesOfTheBadOne = new AtomicInteger();
        // as a broker refuses a message it cannot take: a JMS MessageFormatException at the send
        onSend = message -> {
            if (message.getStringProperty("license").equals("I3_BAD")) {
                triesOfTheBadOne.incrementAndGet();
                throw new jakarta.jms.MessageFormatException("the broker refused I3_BAD (too large)");
            }
        };
        startTarget(e -> { });

        await().atMost(Duration.ofSeconds(20)).until(() -> delivered() == 4 && deadLettered() == 1);
        // A and B were sent in the batch that was rolled back, then once more one by one: on the queue once each
        assertThat(receiveAll(4)).containsExactly(events.get(0).id(), events.get(1).id(), events.get(3).id(),
                events.get(4).id());
        assertThat(rollbacks).as("the batch, then each of the bad one's 3 tries").hasValue(1 + 3);
        // the batch try is not one of its tries: 1 in the batch + 3 one by one
        assertThat(triesOfTheBadOne).hasValue(1 + 3);
        assertThat(deadLetterDocuments()).singleElement().satisfies(letter -> {
            assertThat(letter.path("origin").asText()).isEqualTo("jms");
            assertThat(letter.path("content").path("id").asText()).isEqualTo(events.get(2).id());
            assertThat(letter.path("reason").asText()).startsWith("target jms refused it 3 times");
        });
    }

    // ------------------------------------------------------------------------------------------------

    private List<LicenseChangeEvent> append(String... licenses) {
        List<LicenseChangeEvent> events = new ArrayList<>();
        for (String license : licenses) {
            events.add(OutboxTest.event(license, 1));
        }
        List<Outbox.Entry> entries = outbox.append(events);
        lastSequence = entries.get(entries.size() - 1).sequence();
        return entries.stream().map(Outbox.Entry::event).toList();
    }

    private static List<String> ids(List<LicenseChangeEvent> events) {
        return events.stream().map(LicenseChangeEvent::id).toList();
    }

    private java.util.Map<String, Object> health() {
        return HealthCheckRegistry.get(context).getCheck("icws-target-jms").orElseThrow().call().getDetails();
    }

    private long delivered() {
        return health().get("delivered") instanceof Long n ? n : 0;
    }

    private long deadLettered() {
        return health().get("dead.letters") instanceof Long n ? n : 0;
    }

    private int attempts() {
        return health().get("attempts") instanceof Integer n ? n : 0;
    }

    private List<JsonNode> deadLetterDocuments() throws Exception {
        Path folder = deadLetters.directory();
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                docs.add(mapper.readTree(f.toFile()));
            }
        }
        return docs;
    }

    /** The eventId of every message on the queue, in order; fails on one more than expected. */
    private List<String> receiveAll(int expected) throws Exception {
        List<String> ids = new ArrayList<>();
        for (Message message : receiveMessages(expected)) {
            ids.add(message.getStringProperty("eventId"));
        }
        return ids;
    }

    /** Every message on the queue, in order (read in full before the connection closes); fails on one more. */
    private List<Message> receiveMessages(int expected) throws Exception {
        List<Message> messages = new ArrayList<>();
        try (Connection connection = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(session.createQueue("changes"));
            for (int i = 0; i < expected; i++) {
                Message message = consumer.receive(10_000);
                assertThat(message).as("message %d of %d", i + 1, expected).isNotNull();
                if (message instanceof TextMessage text) {
                    text.getText(); // decoded while connected
                }
                messages.add(message);
            }
            assertThat(consumer.receive(200)).as("a message more than delivered").isNull();
        }
        return messages;
    }

    /** The factory, its connections and sessions as they are, counting the sessions' commits and rollbacks. */
    private ConnectionFactory watched(ConnectionFactory factory) {
        return (ConnectionFactory) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ConnectionFactory.class}, (proxy, method, args) -> {
                    Object result = invoke(factory, method, args);
                    return result instanceof Connection c ? watched(c) : result;
                });
    }

    private Connection watched(Connection connection) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    Object result = invoke(connection, method, args);
                    return result instanceof Session s ? watched(s) : result;
                });
    }

    private Session watched(Session session) {
        return (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit")) {
                        commits.incrementAndGet();
                    } else if (method.getName().equals("rollback")) {
                        rollbacks.incrementAndGet();
                    }
                    Object result = invoke(session, method, args);
                    return result instanceof MessageProducer p ? watched(p) : result;
                });
    }

    private MessageProducer watched(MessageProducer producer) {
        return (MessageProducer) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MessageProducer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("send") && args != null) {
                        for (Object arg : args) {
                            if (arg instanceof Message message) {
                                onSend.sending(message);
                            }
                        }
                    }
                    return invoke(producer, method, args);
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
