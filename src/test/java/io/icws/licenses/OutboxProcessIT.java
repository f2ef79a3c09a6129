package io.icws.licenses;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The outbox's promises where they matter: across a process that is killed (SIGKILL) or stopped (SIGTERM) while
 * a target is failing, and a shutdown against a server that takes connections and never answers. The jar runs
 * as a process, the ICWS simulator in this test; the file target's folder is made unusable (its parent is a
 * file) and repaired between runs.
 */
class OutboxProcessIT {

    private static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private IcwsSimulator simulator;
    private Path blocker;
    private Path changes;
    private final List<JarProcess> started = new ArrayList<>();

    @BeforeEach
    void startSimulator() throws IOException {
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        blocker = Files.writeString(tmp.resolve("blocker"), "the changes folder cannot be made under a file");
        changes = blocker.resolve("changes");
    }

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess jar : started) {
            jar.close();
        }
        simulator.close();
    }

    private JarProcess startJar(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "-Dicws.server=" + simulator.baseUri(), "-Dicws.user=agent1", "-Dicws.password=secret",
                "-Dicws.subscribe.jitter=0", "-Dicws.health.enabled=false", "-Dicws.notify.jms.enabled=false",
                "-Dicws.notify.file.directory=" + changes,
                "-Dicws.notify.redelivery.attempts=1000", "-Dicws.notify.redelivery.initial-delay=300",
                "-Dicws.notify.redelivery.max-delay=1000", "-Dicws.shutdown.timeout=2000",
                "-Dicws.state.directory=" + tmp.resolve("state"), "-Dicws.cluster.file.acquire-lock-interval=200",
                "-Dicws.outbox.directory=" + tmp.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter")));
        args.addAll(List.of(extra));
        JarProcess jar = JarProcess.start(tmp, tmp.resolve(name + ".log"), args);
        started.add(jar);
        return jar;
    }

    /** The saved license state, once there is one. */
    private Optional<JsonNode> savedState() throws IOException {
        Path dir = tmp.resolve("state");
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            Optional<Path> file = files.filter(f -> f.toString().endsWith(".json")).findFirst();
            return file.isPresent() ? Optional.of(JSON.readTree(file.get().toFile())) : Optional.empty();
        }
    }

    /** Waits until the state saved that the station was unassigned: from then on, the event is in the outbox. */
    private void unassignStationAndAwaitItInTheSavedState() {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> savedState().map(s -> s.path("licenses").size() == 3).orElse(false));
        simulator.setLicenseAssigned("agent1", STATION, false);
        await().atMost(Duration.ofSeconds(30)).until(() -> savedState()
                .map(s -> s.path("licenses").path(STATION).isBoolean() && !s.path("licenses").path(STATION).asBoolean())
                .orElse(false));
    }

    /** The id of the station's unassignment, as the outbox holds it. */
    private String outboxedUnassignmentId() throws IOException {
        try (Stream<Path> files = Files.list(tmp.resolve("outbox"))) {
            for (Path segment : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                for (String line : Files.readAllLines(segment)) {
                    for (JsonNode event : JSON.readTree(line).path("events")) {
                        if (event.path("data").path("license").asText().equals(STATION)
                                && event.path("data").path("changeType").asText().equals("unassigned")) {
                            return event.path("id").asText();
                        }
                    }
                }
            }
        }
        throw new AssertionError("the unassignment is not in the outbox");
    }

    private JsonNode awaitDeliveredUnassignment() {
        await().atMost(Duration.ofSeconds(60)).until(() -> JarProcess.jsonFiles(changes).stream()
                .anyMatch(f -> f.getFileName().toString().contains(STATION + "_unassigned")));
        try {
            Path file = JarProcess.jsonFiles(changes).stream()
                    .filter(f -> f.getFileName().toString().contains(STATION + "_unassigned")).findFirst().orElseThrow();
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void killedWhileATargetFailsTheEventArrivesAfterTheRestartWithItsOriginalId() throws Exception {
        JarProcess first = startJar("first");
        unassignStationAndAwaitItInTheSavedState();
        String id = outboxedUnassignmentId();

        first.kill();
        Files.delete(blocker); // the target is repaired
        startJar("second");

        JsonNode delivered = awaitDeliveredUnassignment();
        assertThat(delivered.path("id").asText()).isEqualTo(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> JarProcess.jsonFiles(changes).size() == 4);
    }

    @Test
    void stoppedWhileATargetIsRedeliveredToItEndsWithinTheBoundAndDeliversAfterTheRestart() throws Exception {
        JarProcess first = startJar("first");
        unassignStationAndAwaitItInTheSavedState();
        String id = outboxedUnassignmentId();

        Duration took = first.terminate(Duration.ofSeconds(30));

        assertThat(took).as("time from SIGTERM to exit; log:%n%s", first.log()).isNotNull()
                .isLessThan(Duration.ofMillis(2000 + 5000));
        assertThat(first.process.exitValue()).isEqualTo(JarProcess.EXIT_CODE_AFTER_SIGTERM);
        // no stack trace and no error for the event that stays: it is simply delivered at the next start
        assertThat(first.log()).as("log of the stop").doesNotContain("\tat ").doesNotContain(" ERROR ");
        assertThat(first.log()).contains("Unsubscribed and logged out of ICWS");

        Files.delete(blocker);
        JarProcess second = startJar("second");
        JsonNode delivered = awaitDeliveredUnassignment();
        assertThat(delivered.path("id").asText()).isEqualTo(id);
        assertThat(second.log()).contains("still waiting for target file from before");
    }

    @Test
    void aServerThatTakesConnectionsAndNeverAnswersDoesNotHoldUpTheStop() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        accepted.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // the test ended
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
            JarProcess jar = startJar("silent", "-Dicws.server=http://127.0.0.1:" + silent.getLocalPort());
            await().atMost(Duration.ofSeconds(30)).until(() -> !accepted.isEmpty());

            Duration took = jar.terminate(Duration.ofSeconds(60));

            assertThat(took).as("time from SIGTERM to exit; log:%n%s", jar.log()).isNotNull()
                    .isLessThan(Duration.ofMillis(2000 + 5000));
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
