package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two CamelContexts on one data folder, as two replicas on a shared volume (or the two processes of a rolling
 * update): the default cluster service (a file lock on the outbox folder) lets one of them own the folder; the
 * other stands by, healthy, with no session at the server, and takes over from the committed state when the
 * first stops.
 */
class ReplicasTest {

    private static final String STATION = RoutesTestSupport.STATION;

    @TempDir
    Path folder;

    private IcwsSimulator simulator;
    private RoutesHarness first;
    private RoutesHarness second;

    @BeforeEach
    void startSimulator() {
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (RoutesHarness h : new RoutesHarness[] {second, first}) {
            if (h != null) {
                h.stop();
            }
        }
        simulator.close();
    }

    private RoutesHarness replica(String dsl) {
        RoutesHarness h = new RoutesHarness(dsl, "sse", folder, 0);
        h.replaceSimulator(simulator);
        return h.with("icws.server", simulator.baseUri().toString())
                .with("icws.notify.jms.enabled", "false")
                .with("icws.notify.email.enabled", "false");
    }

    private long logins() {
        return simulator.receivedRequests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).count();
    }

    private static String role(RoutesHarness h) {
        HealthCheck.Result result = h.health("icws-cluster");
        assertThat(result.getState()).as("standing by is healthy").isEqualTo(HealthCheck.State.UP);
        return String.valueOf(result.getDetails().get("role"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void oneContextWatchesTheOtherStandsByAndTakesOverFromTheCommittedState(String dsl) throws Exception {
        first = replica(dsl).start();
        first.awaitFileEvent(STATION, "observed");
        second = replica(dsl).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> "standby".equals(role(second)));
        assertThat(role(first)).isEqualTo("leader");

        // while both run, a change is reported once, by the leader alone
        simulator.setLicenseAssigned("agent1", STATION, false);
        first.awaitFileEvent(STATION, "unassigned");

        first.stop();
        // a change made during the hand-over: the new owner's first snapshot reports it, as a change
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(30)).until(() -> "leader".equals(role(second)));
        second.awaitFileEvent(STATION, "assigned");

        List<JsonNode> events = second.fileEvents();
        assertThat(events).extracting(e -> e.path("data").path("changeType").asText())
                .containsExactlyInAnyOrder("observed", "observed", "observed", "unassigned", "assigned");
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertThat(ids.add(e.path("id").asText())).isTrue());
        assertThat(logins()).as("the standby never logged in while the first one led").isEqualTo(2);
    }
}
