package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A hung server holds back only its own connections, both DSLs: more polling connections on it than the shared
 * pool has threads (and a stream), each poll held for a response time-out far longer than the test; the polling
 * and the streaming connection of another server get their changes at once all the same, no socket is left open,
 * and the stop is still bounded.
 */
class HungServerRoutesTest {

    private static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final int HUNG_POLLERS = 10; // more than the shared pool's 8 threads

    @TempDir
    Path folder;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aHungServerHoldsBackOnlyItsOwnConnections(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "poll", folder, 1);
             IcwsSimulator good = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start()) {
            IcwsSimulator hung = routes.simulator;
            List<String> ids = new ArrayList<>();
            IntStream.rangeClosed(1, HUNG_POLLERS).forEach(i -> ids.add("hung-poll-" + i));
            ids.add("hung-sse");
            ids.add("good-poll");
            ids.add("good-sse");
            routes.with("icws.connections", String.join(",", ids))
                    .with("icws.notify.email.enabled", "false")
                    .with("icws.http.response-timeout", "60000") // a held poll would hold a thread for a minute
                    .with("icws.shutdown.timeout", "2000");
            for (String id : ids) {
                routes.with("icws.connections." + id + ".server", (id.startsWith("hung") ? hung : good).baseUri().toString())
                        .with("icws.connections." + id + ".receive", id.endsWith("sse") ? "sse" : "poll");
            }
            routes.start();
            // every connection has its first snapshot: three licenses each
            await().atMost(Duration.ofSeconds(30)).until(() -> routes.fileEvents().size() == 3 * ids.size());

            hung.hang();
            await().atMost(Duration.ofSeconds(10)).until(() -> hung.heldRequests() >= 8);
            assertThat(hung.heldRequests()).isGreaterThanOrEqualTo(8);

            long changed = System.nanoTime();
            good.setLicenseAssigned("agent1", STATION, false);
            await().atMost(Duration.ofSeconds(10)).until(() -> unassignedFrom(routes, good).size() == 2);
            long tookMillis = (System.nanoTime() - changed) / 1_000_000;
            assertThat(unassignedFrom(routes, good)).hasSize(2);
            // polling every 100 ms: well within a second or two, not after the hung polls' minute
            assertThat(tookMillis).isLessThan(5_000);
            assertThat(FailoverRoutesTest.OpenSockets.to(good.port())).isLessThanOrEqualTo(2L * 2 + 2);

            long stopping = System.nanoTime();
            routes.stop();
            assertThat((System.nanoTime() - stopping) / 1_000_000).isLessThan(2_000 + 5_000);
            if (FailoverRoutesTest.OpenSockets.available()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> FailoverRoutesTest.OpenSockets.to(hung.port()) == 0);
                assertThat(FailoverRoutesTest.OpenSockets.to(hung.port())).isZero();
            }
        }
    }

    private static List<JsonNode> unassignedFrom(RoutesHarness routes, IcwsSimulator server) throws Exception {
        String authority = server.baseUri().getAuthority();
        return routes.fileEvents(STATION, "unassigned").stream()
                .filter(e -> e.path("source").asText().contains(authority)).toList();
    }
}
