package io.icws.licenses.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.IcwsLicenseRoutesApplication;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import static org.awaitility.Awaitility.await;

/**
 * The routes as a team runs them — camel-main with the jar's settings — against real parts on loopback:
 * the ICWS simulator over HTTP, the embedded Artemis broker, a temp folder; GreenMail is the test's.
 * Settings are overridden per test, exactly as {@code -D} would.
 */
final class RoutesHarness implements AutoCloseable {

    static final String USER = "agent1";
    static final String PASSWORD = "secret";
    static final String QUEUE = "icws.license.changes";

    IcwsSimulator simulator;
    final Path folder;
    final Path changes;
    final Path deadLetters;
    final Map<String, String> settings = new LinkedHashMap<>();
    private final ObjectMapper mapper = new ObjectMapper();
    private Main main;
    private Connection jms;
    private MessageConsumer consumer;

    RoutesHarness(String dsl, Path folder, int smtpPort) {
        this.simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        this.folder = folder;
        this.changes = folder.resolve("changes");
        this.deadLetters = folder.resolve("dead-letter");
        settings.put("icws.dsl", dsl);
        settings.put("icws.server", simulator.baseUri().toString());
        settings.put("icws.user", USER);
        settings.put("icws.password", PASSWORD);
        settings.put("icws.poll.interval", "100");
        // no fixed port in tests; HealthEndpointTest turns it on with a free one
        settings.put("icws.health.enabled", "false");
        // Far away unless a test wants the schedule.
        settings.put("icws.subscribe.cron", "0 0 0 1 1 ? 2099");
        settings.put("icws.state.directory", folder.resolve("state").toString());
        settings.put("icws.dead-letter.directory", deadLetters.toString());
        settings.put("icws.notify.file.directory", changes.toString());
        settings.put("icws.notify.jms.embedded-data-directory", folder.resolve("broker").toString());
        settings.put("icws.notify.email.enabled", "true");
        settings.put("icws.notify.email.host", "127.0.0.1");
        settings.put("icws.notify.email.port", Integer.toString(smtpPort));
        settings.put("icws.notify.email.to", "alerts@example.com");
        settings.put("icws.notify.email.from", "icws@example.com");
        settings.put("icws.notify.redelivery.initial-delay", "100");
        settings.put("icws.notify.redelivery.max-delay", "500");
    }

    /** A new simulator on the same address (the old one gone: connections refused meanwhile). */
    void replaceSimulator(IcwsSimulator replacement) {
        simulator.close();
        simulator = replacement;
    }

    /** Reads a bean the routes use. */
    <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    /** Every dead letter, parsed. */
    List<JsonNode> deadLetterDocuments() throws IOException {
        if (!Files.isDirectory(deadLetters)) {
            return List.of();
        }
        List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(deadLetters)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".")).sorted().toList()) {
                docs.add(mapper.readTree(file.toFile()));
            }
        }
        return docs;
    }

    RoutesHarness with(String key, String value) {
        settings.put(key, value);
        return this;
    }

    /** Starts camel-main as the jar does, and a consumer on the change queue. */
    RoutesHarness start() throws Exception {
        main = IcwsLicenseRoutesApplication.createMain();
        settings.forEach(main::addOverrideProperty);
        main.start();
        return this;
    }

    CamelContext context() {
        return main.getCamelContext();
    }

    void stop() throws Exception {
        if (consumer != null) {
            jms.close();
            consumer = null;
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
        }
    }

    // ------------------------------------------------------------- what the targets got

    /** Every event file, parsed, oldest name first. */
    List<JsonNode> fileEvents() throws IOException {
        if (!Files.isDirectory(changes)) {
            return List.of();
        }
        List<JsonNode> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(changes)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".")).sorted().toList()) {
                events.add(mapper.readTree(file.toFile()));
            }
        }
        return events;
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

    /** A JMS message from the change queue, or null after the timeout. */
    Message receiveJms(Duration timeout) throws Exception {
        if (consumer == null) {
            ConnectionFactory factory = context().getRegistry()
                    .lookupByNameAndType("icwsJmsConnectionFactory", ConnectionFactory.class);
            jms = factory.createConnection();
            jms.start();
            Session session = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
            consumer = session.createConsumer(session.createQueue(QUEUE));
        }
        return consumer.receive(timeout.toMillis());
    }

    /** JMS messages until one of this license and change arrives; all received are returned. */
    List<Message> receiveJmsUntil(String license, String changeType) throws Exception {
        List<Message> received = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Message m = receiveJms(Duration.ofMillis(500));
            if (m == null) {
                continue;
            }
            received.add(m);
            if (license.equals(m.getStringProperty("license")) && changeType.equals(m.getStringProperty("changeType"))) {
                return received;
            }
        }
        throw new AssertionError("no JMS message for " + license + " " + changeType + "; got " + received.size());
    }

    JsonNode json(Message message) throws Exception {
        return mapper.readTree(((TextMessage) message).getText());
    }

    long requestCount(String method, String pathSuffix) {
        return simulator.requests().stream()
                .filter(r -> r.method().equals(method) && r.path().endsWith(pathSuffix)).count();
    }
}
