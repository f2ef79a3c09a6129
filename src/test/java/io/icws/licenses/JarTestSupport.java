package io.icws.licenses;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the process-level suites share: the ICWS simulator in the test, the packaged jar as processes on one
 * temp folder (its state, outbox, dead letters and changes), and a look at what the file target delivered.
 */
abstract class JarTestSupport {

    static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    IcwsSimulator simulator;
    Path changes;
    private final List<JarProcess> started = new ArrayList<>();

    @BeforeEach
    void startSimulator() {
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        changes = tmp.resolve("changes");
    }

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess jar : started) {
            jar.close();
        }
        simulator.close();
    }

    /** A jar on this test's folders, receiving by events from the simulator, files only; {@code extra} -D last. */
    JarProcess startJar(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "-Dicws.server=" + simulator.baseUri(), "-Dicws.user=agent1", "-Dicws.password=secret",
                "-Dicws.receive=sse", "-Dicws.subscribe.jitter=0", "-Dicws.health.enabled=false",
                "-Dicws.notify.jms.enabled=false", "-Dicws.notify.file.directory=" + changes,
                "-Dicws.shutdown.timeout=2000",
                "-Dicws.state.directory=" + tmp.resolve("state"),
                "-Dicws.outbox.directory=" + tmp.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter")));
        args.addAll(List.of(extra));
        JarProcess jar = JarProcess.start(tmp, tmp.resolve(name + ".log"), args);
        started.add(jar);
        return jar;
    }

    /** Every event the file target delivered. */
    List<JsonNode> delivered() throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (Path file : JarProcess.jsonFiles(changes)) {
            events.add(JSON.readTree(file.toFile()));
        }
        return events;
    }

    /** The delivered events of one license and change type. */
    List<JsonNode> of(String license, String changeType) throws IOException {
        return delivered().stream().filter(e -> e.path("data").path("license").asText().equals(license)
                && e.path("data").path("changeType").asText().equals(changeType)).toList();
    }

    /** How many times the simulator was asked to log in. */
    long logins() {
        return simulator.receivedRequests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).count();
    }

    /** Exactly {@code changes} events were delivered, and no id names two of them. */
    void assertEachChangeOnceWithItsOwnId(int changes) throws IOException {
        List<JsonNode> events = delivered();
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertThat(ids.add(e.path("id").asText())).as("id %s twice", e.path("id")).isTrue());
        assertThat(events).hasSize(changes);
    }
}
