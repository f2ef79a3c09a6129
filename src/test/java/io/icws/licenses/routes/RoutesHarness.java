package io.icws.licenses.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.app.EmbeddedJmsBroker;
import io.icws.licenses.app.IcwsLicenseRoutesApplication;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.icws.licenses.watch.IcwsComponent;
import io.icws.licenses.watch.LicenseWatch;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.Main;

import static org.awaitility.Awaitility.await;

/**
 * The routes as a team runs them — camel-main with the jar's runtime and settings — against real parts on
 * loopback: the ICWS simulator over HTTP, the embedded Artemis broker, a temp folder; GreenMail is the test's.
 * Settings are overridden per test, exactly as {@code -D} would.
 */
final class RoutesHarness implements AutoCloseable {

    static final String USER = "agent1";
    static final String PASSWORD = "secret";
    static final String QUEUE = "icws.license.changes";
    private static final java.util.concurrent.atomic.AtomicInteger CONTEXTS = new java.util.concurrent.atomic.AtomicInteger();

    IcwsSimulator simulator;
    final Path folder;
    Path changes;
    private final java.util.Map<String, Object> beans = new java.util.LinkedHashMap<>();
    final Path deadLetters;
    final Map<String, String> settings = new LinkedHashMap<>();
    /** Every JMS message received so far, in order: one per delivery. */
    final List<Message> jmsReceived = new CopyOnWriteArrayList<>();
    private final ObjectMapper mapper = new ObjectMapper();
    private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captured =
            new ch.qos.logback.core.read.ListAppender<>();
    private Main main;
    private Connection jms;
    private int jmsRead;

    RoutesHarness(String dsl, String receive, Path folder, int smtpPort) {
        this.simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        this.folder = folder;
        this.changes = folder.resolve("changes");
        this.deadLetters = folder.resolve("dead-letter");
        settings.put("icws.dsl", dsl);
        settings.put("icws.receive", receive);
        settings.put("icws.server", simulator.baseUri().toString());
        settings.put("icws.user", USER);
        settings.put("icws.password", PASSWORD);
        settings.put("icws.poll.interval", "100");
        // no fixed port in tests; HealthEndpointTest turns it on with a free one
        settings.put("icws.health.enabled", "false");
        settings.put("icws.notify.jms.embedded-port", "0");
        // Far away unless a test wants the schedule.
        settings.put("icws.subscribe.cron", "0 0 0 1 1 ? 2099");
        settings.put("icws.subscribe.jitter", "0");
        settings.put("icws.state.directory", folder.resolve("state").toString());
        settings.put("icws.outbox.directory", folder.resolve("outbox").toString());
        // a name of its own per context: camel-quartz names its scheduler after the context, and Quartz keeps
        // schedulers by name for the whole JVM, so a context of the same name starting while the previous one's
        // scheduler is still shutting down would get that one (its cron firings then go to the stopped context)
        settings.put("camel.main.name", "icws-test-" + CONTEXTS.incrementAndGet());
        // the data folders' file lock (the default cluster service) tried often: a start waits less for it
        settings.put("icws.cluster.file.acquire-lock-interval", "100");
        settings.put("icws.dead-letter.directory", deadLetters.toString());
        settings.put("icws.notify.file.directory", changes.toString());
        settings.put("icws.notify.jms.embedded-data-directory", folder.resolve("broker").toString());
        settings.put("icws.notify.email.enabled", "true");
        settings.put("icws.notify.email.host", "127.0.0.1");
        settings.put("icws.notify.email.port", Integer.toString(smtpPort));
        settings.put("icws.notify.email.to", "alerts+icws@example.com"); // a + must survive the URI
        settings.put("icws.notify.email.from", "icws@example.com");
        settings.put("icws.notify.redelivery.initial-delay", "100");
        settings.put("icws.notify.redelivery.max-delay", "500");
        settings.put("icws.shutdown.timeout", "3000");
    }

    /** A new simulator on the same address (the old one gone: connections refused meanwhile). */
    void replaceSimulator(IcwsSimulator replacement) {
        simulator.close();
        simulator = replacement;
    }

    /** The file target writes into this folder (shared by several harnesses: replicas on their own disks). */
    RoutesHarness changesIn(Path folder) {
        changes = folder;
        settings.put("icws.notify.file.directory", folder.toString());
        return this;
    }

    /** A bean the runtime binds by code before it starts (a host's own cluster service, say). */
    RoutesHarness bind(String name, Object bean) {
        beans.put(name, bean);
        return this;
    }

    RoutesHarness with(String key, String value) {
        settings.put(key, value);
        return this;
    }

    /** Keeps every log line from now until the harness closes, for {@link #logLines()}. */
    RoutesHarness captureLog() {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        captured.start();
        root.addAppender(captured);
        return this;
    }

    /** The log lines captured since {@link #captureLog()}. */
    List<String> logLines() {
        return captured.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
    }

    /** Starts camel-main as the jar does. */
    RoutesHarness start() throws Exception {
        main = IcwsLicenseRoutesApplication.createMain();
        settings.forEach(main::addOverrideProperty);
        beans.forEach(main::bind);
        main.start();
        return this;
    }

    CamelContext context() {
        return main.getCamelContext();
    }

    void stop() throws Exception {
        if (jms != null) {
            jms.close();
            jms = null;
        }
        if (main != null) {
            main.stop();
            main = null;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            simulator.close();
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .detachAppender(captured);
        }
    }

    // ------------------------------------------------------------- the connection

    LicenseWatch watch() {
        return watch("default");
    }

    LicenseWatch watch(String id) {
        return context().getComponent("icws", IcwsComponent.class).watches().stream()
                .filter(w -> w.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no connection " + id));
    }

    IcwsConnection.Status status() {
        return watch().status();
    }

    Outbox outbox() {
        return context().getRegistry().lookupByNameAndType("icwsOutbox", Outbox.class);
    }

    /** A health check (readiness) as the health endpoint reports it. */
    HealthCheck.Result health(String name) {
        return HealthCheckRegistry.get(context()).getCheck(name)
                .orElseThrow(() -> new AssertionError("no health check " + name)).call();
    }

    long requestCount(String method, String pathSuffix) {
        return simulator.requests().stream()
                .filter(r -> r.method().equals(method) && r.path().endsWith(pathSuffix)).count();
    }

    // ------------------------------------------------------------- what the targets got

    /** Every dead letter, parsed. */
    List<JsonNode> deadLetterDocuments() throws IOException {
        return jsonFiles(deadLetters);
    }

    /** Every event file, parsed, oldest name first. */
    List<JsonNode> fileEvents() throws IOException {
        return jsonFiles(changes);
    }

    private List<JsonNode> jsonFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".") && Files.isRegularFile(f)).sorted().toList()) {
                docs.add(mapper.readTree(file.toFile()));
            }
        }
        return docs;
    }

    /** The event files of one license and change type. */
    List<JsonNode> fileEvents(String license, String changeType) throws IOException {
        return fileEvents().stream()
                .filter(e -> e.path("data").path("license").asText().equals(license))
                .filter(e -> e.path("data").path("changeType").asText().equals(changeType)).toList();
    }

    /** Waits until the file target holds an event of this license and change. */
    JsonNode awaitFileEvent(String license, String changeType) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !fileEvents(license, changeType).isEmpty());
        try {
            return fileEvents(license, changeType).get(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts taking every message of the change queue into {@link #jmsReceived}. */
    void listenToJms() throws Exception {
        if (jms != null) {
            return;
        }
        EmbeddedJmsBroker broker = context().getRegistry().lookupByNameAndType("icwsEmbeddedBroker", EmbeddedJmsBroker.class);
        jms = new ActiveMQConnectionFactory(broker.url()).createConnection();
        Session session = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = session.createConsumer(session.createQueue(QUEUE));
        consumer.setMessageListener(jmsReceived::add);
        jms.start();
    }

    /**
     * The JMS messages received after those an earlier call returned, up to the first one of this license and
     * change (waiting for it).
     */
    List<Message> receiveJmsUntil(String license, String changeType) throws Exception {
        listenToJms();
        int from = jmsRead;
        await().atMost(Duration.ofSeconds(20)).until(() -> jmsReceived.stream().skip(from)
                .anyMatch(m -> is(m, license, changeType)));
        List<Message> upTo = new ArrayList<>();
        for (Message m : jmsReceived.subList(from, jmsReceived.size())) {
            upTo.add(m);
            if (is(m, license, changeType)) {
                break;
            }
        }
        jmsRead = from + upTo.size();
        return upTo;
    }

    private static boolean is(Message m, String license, String changeType) {
        try {
            return license.equals(m.getStringProperty("license")) && changeType.equals(m.getStringProperty("changeType"));
        } catch (jakarta.jms.JMSException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many times each event id was delivered by JMS. */
    Map<String, Long> jmsDeliveriesPerId() {
        return jmsReceived.stream().collect(Collectors.groupingBy(m -> {
            try {
                return m.getStringProperty("eventId");
            } catch (jakarta.jms.JMSException e) {
                throw new IllegalStateException(e);
            }
        }, Collectors.counting()));
    }

    JsonNode json(Message message) throws Exception {
        return mapper.readTree(((TextMessage) message).getText());
    }
}
