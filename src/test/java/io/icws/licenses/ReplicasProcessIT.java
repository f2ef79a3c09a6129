package io.icws.licenses;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two jar processes with the same settings on one data folder, as a standby on a shared volume or a rolling
 * update: one owns the folder (the default file lock), the other stands by; killing the owner (SIGKILL) or
 * stopping it (SIGTERM) hands the connection over within the takeover time, and every change is reported once.
 */
class ReplicasProcessIT {

    private static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private IcwsSimulator simulator;
    private Path changes;
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

    private JarProcess startJar(String name) throws IOException {
        List<String> args = List.of(
                "-Dicws.server=" + simulator.baseUri(), "-Dicws.user=agent1", "-Dicws.password=secret",
                "-Dicws.receive=sse", "-Dicws.subscribe.jitter=0", "-Dicws.health.enabled=false",
                "-Dicws.notify.jms.enabled=false", "-Dicws.notify.file.directory=" + changes,
                "-Dicws.shutdown.timeout=2000",
                "-Dicws.state.directory=" + tmp.resolve("state"),
                "-Dicws.outbox.directory=" + tmp.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter"));
        JarProcess jar = JarProcess.start(tmp, tmp.resolve(name + ".log"), args);
        started.add(jar);
        return jar;
    }

    private List<JsonNode> delivered() throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (Path file : JarProcess.jsonFiles(changes)) {
            events.add(JSON.readTree(file.toFile()));
        }
        return events;
    }

    private long count(String changeType) throws IOException {
        return delivered().stream().filter(e -> e.path("data").path("license").asText().equals(STATION)
                && e.path("data").path("changeType").asText().equals(changeType)).count();
    }

    private long logins() {
        return simulator.receivedRequests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).count();
    }

    private void assertEachChangeOnceWithItsOwnId(int changes) throws IOException {
        List<JsonNode> events = delivered();
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertThat(ids.add(e.path("id").asText())).as("id %s twice", e.path("id")).isTrue());
        assertThat(events).hasSize(changes);
    }

    @Test
    void theStandbyTakesOverWithin30SecondsOfTheOwnerBeingKilledAndReportsTheGapsChangeOnce() throws Exception {
        JarProcess owner = startJar("owner");
        await().atMost(Duration.ofSeconds(60)).until(() -> delivered().size() == 3);
        JarProcess standby = startJar("standby");
        await().atMost(Duration.ofSeconds(60)).until(() -> standby.log().contains("ICWS license routes"));

        owner.kill();
        long killedAt = System.nanoTime();
        simulator.setLicenseAssigned("agent1", STATION, false); // made while nobody watches

        await().atMost(Duration.ofSeconds(30)).until(() -> count("unassigned") == 1);
        Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
        assertThat(takeover).as("kill → the gap's change delivered").isLessThan(Duration.ofSeconds(30));
        assertThat(logins()).as("the standby logged in only once it owned the folder").isEqualTo(2);
        assertEachChangeOnceWithItsOwnId(4);
    }

    @Test
    void aRollingUpdateHandsOverWithoutLosingOrDoublingAChange() throws Exception {
        JarProcess old = startJar("old");
        await().atMost(Duration.ofSeconds(60)).until(() -> delivered().size() == 3);
        JarProcess next = startJar("new");
        await().atMost(Duration.ofSeconds(60)).until(() -> next.log().contains("ICWS license routes"));

        Duration stop = old.terminate(Duration.ofSeconds(30));
        assertThat(stop).as("the old process stops within its bound; log:%n%s", old.log()).isNotNull();
        simulator.setLicenseAssigned("agent1", STATION, false);

        await().atMost(Duration.ofSeconds(30)).until(() -> count("unassigned") == 1);
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(30)).until(() -> count("assigned") == 1);
        assertThat(logins()).isEqualTo(2);
        assertEachChangeOnceWithItsOwnId(5);
    }
}
