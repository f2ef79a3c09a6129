package io.icws.licenses.outbox;

import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.app.EmbeddedJmsBroker;
import io.icws.licenses.notify.JmsTarget;
import io.icws.licenses.state.LicenseChangeEvent;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.errorhandler.NoErrorHandlerDefinition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An outage of a target holds its queue for as long as it lasts and then drains in order; a refusal goes to the
 * dead letters after the tries while later events go on. Real outbox, real dead letters, real targets where
 * they are cheap: the file target with its folder made unusable and repaired, an ActiveMQ Artemis broker
 * stopped and started again. Delays are short (50 ms doubling to 200 ms, 2 redeliveries: 3 tries within
 * 0.6 s), outages several times longer than that.
 */
class TargetOutageTest {

    private static final String SHORT_DELAYS = "?maximumRedeliveries=2&redeliveryDelay=50&maximumRedeliveryDelay=200";

    @TempDir
    Path dir;

    private final ObjectMapper mapper = new ObjectMapper();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Outbox outbox;
    private DeadLetters deadLetters;
    private CamelContext context;
    /** Event ids in the order the target took them: one entry per delivery. */
    private final List<String> taken = new CopyOnWriteArrayList<>();

    @BeforeEach
    void openOutbox() throws Exception {
        outbox = new FileOutbox(dir.resolve("outbox"), mapper);
        outbox.start();
        deadLetters = new DeadLetters(dir.resolve("dead-letter"), mapper, outbox, Clock.systemUTC());
        log.start();
        consumerLogger().addAppender(log);
    }

    @AfterEach
    void closeAll() throws Exception {
        consumerLogger().detachAppender(log);
        if (context != null) {
            context.stop();
        }
        outbox.stop();
    }

    private static ch.qos.logback.classic.Logger consumerLogger() {
        return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(OutboxConsumer.class);
    }

    /** A context with the outbox and its dead letters, target routes without an error handler (as icws-target). */
    private CamelContext newContext() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind(OutboxComponent.OUTBOX_BEAN, outbox);
        camel.getRegistry().bind(OutboxComponent.DEAD_LETTERS_BEAN, deadLetters);
        camel.addRoutes(new RouteConfigurationBuilder() {
            @Override
            public void configuration() {
                routeConfiguration().errorHandler(new NoErrorHandlerDefinition());
            }
        });
        return camel;
    }

    private void start(RouteBuilder routes) throws Exception {
        context = newContext();
        context.addRoutes(routes);
        context.start();
    }

    /** The file target as the routes have it: one JSON document per event, written under a temporary name. */
    private RouteBuilder fileTarget(Path folder, String options) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("icws-outbox:file" + options).routeId("notify-file")
                        .setHeader(Exchange.FILE_NAME, simple("${body.id}.json"))
                        .setHeader("taken", simple("${body.id}"))
                        .marshal().json()
                        .to("file:" + folder + "?tempPrefix=.writing-")
                        .process(e -> taken.add(e.getMessage().getHeader("taken", String.class)));
            }
        };
    }

    private List<LicenseChangeEvent> append(String... licenses) {
        List<LicenseChangeEvent> events = new ArrayList<>();
        for (String license : licenses) {
            events.add(OutboxTest.event(license, 1));
        }
        // the committed events: the outbox gives each its id
        return outbox.append(events).stream().map(Outbox.Entry::event).toList();
    }

    private static List<String> ids(List<LicenseChangeEvent> events) {
        return events.stream().map(LicenseChangeEvent::id).toList();
    }

    private HealthCheck.Result health(String target) {
        return HealthCheckRegistry.get(context).getCheck("icws-target-" + target).orElseThrow().call();
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

    private List<String> lines(Level level, String containing) {
        return log.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(containing)).toList();
    }

    private int attempts(String target) {
        Object attempts = health(target).getDetails().get("attempts");
        return attempts instanceof Integer n ? n : 0;
    }

    // ------------------------------------------------------------------------------------------------

    @Test
    void aFolderThatCannotBeWrittenHoldsTheQueueWithoutDeadLettersAndDrainsInOrderOnceRepaired() throws Exception {
        Path blocker = Files.writeString(dir.resolve("blocker"), "the changes folder cannot be made under a file");
        Path changes = blocker.resolve("changes");
        start(fileTarget(changes, SHORT_DELAYS));
        List<LicenseChangeEvent> events = append("I3_A", "I3_B", "I3_C", "I3_D", "I3_E");

        // 25 attempts of the first event: ~4.7 s of outage, against 3 tries within 0.6 s for a refusal
        await().atMost(Duration.ofSeconds(20)).until(() -> attempts("file") >= 25);
        HealthCheck.Result down = health("file");
        assertThat(down.getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(down.getDetails()).containsEntry("state", "outage").containsEntry("queue.depth", 5)
                .containsEntry("failing.event", events.get(0).id()).containsKeys("last.error", "failing.since");
        assertThat(down.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("5 waiting"));
        assertThat(deadLetterDocuments()).isEmpty();
        assertThat(taken).isEmpty();
        // one line per attempt while the wait grows (50, 100, 200 ms), then quiet (at most one a minute)
        List<String> warnings = lines(Level.WARN, "Target file");
        assertThat(warnings).hasSize(3);
        assertThat(warnings.get(2)).contains("further attempts are logged once a minute");

        Files.delete(blocker);

        await().atMost(Duration.ofSeconds(10)).until(() -> taken.size() == 5);
        assertThat(taken).containsExactlyElementsOf(ids(events));
        assertThat(deadLetterDocuments()).isEmpty();
        try (Stream<Path> files = Files.list(changes)) {
            assertThat(files.filter(f -> f.toString().endsWith(".json"))).hasSize(5);
        }
        assertThat(lines(Level.INFO, "Target file is back after")).singleElement()
                .satisfies(line -> assertThat(line).endsWith("; 5 event(s) waiting"));
        // the route has written the last file a moment before the queue records it: await the record itself
        HealthCheck.Result up = await().atMost(Duration.ofSeconds(5)).until(() -> health("file"),
                r -> Long.valueOf(5).equals(r.getDetails().get("delivered")));
        assertThat(up.getState()).isEqualTo(HealthCheck.State.UP);
        assertThat(up.getDetails()).containsEntry("state", "draining").containsEntry("queue.depth", 0)
                .containsEntry("dead.letters", 0L);
    }

    @Test
    void aBrokerThatIsDownHoldsTheQueueAndGetsEveryEventInOrderWhenItIsBack() throws Exception {
        int port = freePort();
        Path data = dir.resolve("broker");
        EmbeddedJmsBroker broker = new EmbeddedJmsBroker(data, port);
        broker.awaitStarted(Duration.ofSeconds(30));
        try {
            context = newContext();
            JmsTarget.bindReusing(context, new ActiveMQConnectionFactory(
                    "tcp://127.0.0.1:" + port + "?reconnectAttempts=0&retryInterval=50&callTimeout=2000"));
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("icws-outbox:jms" + SHORT_DELAYS).routeId("notify-jms")
                            .removeHeaders("*")
                            .setHeader("eventId", simple("${body.id}"))
                            .marshal().json()
                            .to("jms:queue:changes?connectionFactory=#" + JmsTarget.CONNECTION_FACTORY
                                    + "&deliveryPersistent=true&jmsMessageType=Text");
                }
            });
            context.start();
            List<LicenseChangeEvent> before = append("I3_A");
            await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(1).equals(health("jms").getDetails()
                    .get("delivered")));

            broker.stop();
            List<LicenseChangeEvent> during = append("I3_B", "I3_C", "I3_D", "I3_E");
            // 15 attempts: ~2.7 s of outage, several times the 0.6 s of a refusal's 3 tries
            await().atMost(Duration.ofSeconds(30)).until(() -> attempts("jms") >= 15);
            assertThat(health("jms").getDetails()).containsEntry("state", "outage").containsEntry("queue.depth", 4);
            assertThat(deadLetterDocuments()).isEmpty();

            broker = new EmbeddedJmsBroker(data, port);
            broker.awaitStarted(Duration.ofSeconds(30));

            await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(0).equals(
                    health("jms").getDetails().get("queue.depth")));
            assertThat(deadLetterDocuments()).isEmpty();
            assertThat(lines(Level.INFO, "Target jms is back after")).singleElement()
                    .satisfies(line -> assertThat(line).endsWith("; 4 event(s) waiting"));
            List<String> expected = new ArrayList<>(ids(before));
            expected.addAll(ids(during));
            assertThat(receiveAll(port, expected.size())).containsExactlyElementsOf(expected);
        } finally {
            if (context != null) {
                context.stop();
                context = null;
            }
            broker.stop();
        }
    }

    @Test
    void aRefusedEventGoesToTheDeadLettersAfterItsTriesAndTheNextEventsGoOn() throws Exception {
        AtomicInteger triesOfTheBadOne = new AtomicInteger();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("icws-outbox:hook" + SHORT_DELAYS).routeId("notify-hook")
                        .process(e -> {
                            LicenseChangeEvent event = e.getMessage().getBody(LicenseChangeEvent.class);
                            if (event.license().equals("I3_BAD")) {
                                triesOfTheBadOne.incrementAndGet();
                                throw new TargetRefusedException("the hook answered 422 for " + event.license());
                            }
                            taken.add(event.id());
                        });
            }
        });
        List<LicenseChangeEvent> events = append("I3_A", "I3_BAD", "I3_C", "I3_D");

        await().atMost(Duration.ofSeconds(10)).until(() -> taken.size() == 3);
        assertThat(taken).containsExactly(events.get(0).id(), events.get(2).id(), events.get(3).id());
        assertThat(triesOfTheBadOne).hasValue(3);
        assertThat(deadLetterDocuments()).singleElement().satisfies(letter -> {
            assertThat(letter.path("origin").asText()).isEqualTo("hook");
            assertThat(letter.path("content").path("id").asText()).isEqualTo(events.get(1).id());
            assertThat(letter.path("reason").asText()).startsWith("target hook refused it 3 times")
                    .contains("the hook answered 422");
        });
        assertThat(lines(Level.INFO, "is back")).isEmpty();
        HealthCheck.Result health = await().atMost(Duration.ofSeconds(5)).until(() -> health("hook"),
                r -> Long.valueOf(3).equals(r.getDetails().get("delivered")));
        assertThat(health.getState()).isEqualTo(HealthCheck.State.UP);
        assertThat(health.getDetails()).containsEntry("state", "draining").containsEntry("dead.letters", 1L)
                .containsEntry("queue.depth", 0);
    }

    @Test
    void outageAttemptsAreNotCountedAsTriesOfARefusal() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                // unreachable for the first 6 attempts, then up and refusing the event
                from("icws-outbox:hook" + SHORT_DELAYS).routeId("notify-hook")
                        .process(e -> {
                            if (attempts.incrementAndGet() <= 6) {
                                throw new java.io.UncheckedIOException(new ConnectException("Connection refused"));
                            }
                            throw new TargetRefusedException("rejected");
                        });
            }
        });
        List<LicenseChangeEvent> events = append("I3_A");

        await().atMost(Duration.ofSeconds(10)).until(() -> !deadLetterDocuments().isEmpty());
        assertThat(attempts).hasValue(6 + 3);
        assertThat(deadLetterDocuments()).singleElement().satisfies(letter -> {
            assertThat(letter.path("content").path("id").asText()).isEqualTo(events.get(0).id());
            assertThat(letter.path("reason").asText()).startsWith("target hook refused it 3 times");
        });
        // it answered again when it refused: the outage is over
        assertThat(lines(Level.INFO, "Target hook is back after")).hasSize(1);
    }

    @Test
    void anEventBeingRefusedShowsRetryingInTheHealthCheck() throws Exception {
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("icws-outbox:hook?maximumRedeliveries=1000&redeliveryDelay=50&maximumRedeliveryDelay=200")
                        .routeId("notify-hook")
                        .throwException(new IllegalArgumentException("no recipient for this license"));
            }
        });
        List<LicenseChangeEvent> events = append("I3_A", "I3_B");

        await().atMost(Duration.ofSeconds(10)).until(() -> attempts("hook") >= 2);
        HealthCheck.Result health = health("hook");
        assertThat(health.getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(health.getDetails()).containsEntry("state", "retrying").containsEntry("queue.depth", 2)
                .containsEntry("failing.event", events.get(0).id()).containsKey("failing.since");
        assertThat(health.getDetails().get("last.error").toString()).contains("no recipient for this license");
        assertThat(health.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("refuses event"));
    }

    @Test
    void stoppingTheRouteMidOutageEndsAtOnceAndARestartDeliversTheEvent() throws Exception {
        Path blocker = Files.writeString(dir.resolve("blocker"), "not a folder");
        Path changes = blocker.resolve("changes");
        // a long wait after the first attempt: the stop must not sit it out
        start(fileTarget(changes, "?maximumRedeliveries=2&redeliveryDelay=30s&maximumRedeliveryDelay=60s"));
        List<LicenseChangeEvent> events = append("I3_A");
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts("file") == 1);
        assertThat(health("file").getDetails()).containsEntry("state", "outage");

        long started = System.nanoTime();
        context.getRouteController().stopRoute("notify-file");
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMillis).as("time to stop the route").isLessThan(2_000);
        assertThat(taken).isEmpty();
        assertThat(deadLetterDocuments()).isEmpty();
        assertThat(log.list).noneMatch(e -> e.getLevel() == Level.ERROR);

        Files.delete(blocker);
        context.getRouteController().startRoute("notify-file");

        await().atMost(Duration.ofSeconds(10)).until(() -> taken.size() == 1);
        assertThat(taken).containsExactly(events.get(0).id());
        assertThat(changes.resolve(events.get(0).id() + ".json")).exists();
    }

    // ------------------------------------------------------------------------------------------------

    /** The eventId of every message on the queue, in order, read after the outage. */
    private static List<String> receiveAll(int port, int expected) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection connection = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(session.createQueue("changes"));
            for (int i = 0; i < expected; i++) {
                Message message = consumer.receive(10_000);
                assertThat(message).as("message %d of %d", i + 1, expected).isNotNull();
                ids.add(message.getStringProperty("eventId"));
            }
            assertThat(consumer.receive(200)).as("a message more than delivered").isNull();
        }
        return ids;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
