package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What only server-sent events have, both DSLs: the choice between stream and polling, and the stream's format
 * as a real server may send it.
 */
class EventStreamRoutesTest {

    @TempDir
    Path folder;

    private static long warnings(RoutesHarness routes, String text) {
        return routes.logLines().stream().filter(l -> l.contains(text)).count();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aServerWithoutMessagingVersionTwoIsPolled(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "auto", folder, 1)) {
            routes.replaceSimulator(IcwsSimulator.builder().port(0).messagingVersion(1)
                    .users(List.of(SimulatedUser.demo())).build().start());
            routes.with("icws.server", routes.simulator.baseUri().toString())
                    .with("icws.notify.email.enabled", "false").start();

            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");
            assertThat(routes.status().mode()).isEqualTo(IcwsConnection.Mode.POLL);
            routes.simulator.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", false);
            routes.awaitFileEvent("I3_ACCESS_CLIENT", "unassigned");
            assertThat(routes.simulator.requests()).noneMatch(r -> r.status() == 406);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aServerThatRefusesTheStreamIsPolledAndTheLogSaysSoOnce(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "sse", folder, 1)) {
            routes.replaceSimulator(IcwsSimulator.builder().port(0).eventStreams(false)
                    .users(List.of(SimulatedUser.demo())).build().start());
            routes.with("icws.server", routes.simulator.baseUri().toString())
                    .with("icws.notify.email.enabled", "false").captureLog().start();

            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");
            routes.simulator.expireSessions(); // a new session must not try the stream again
            routes.simulator.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", false);
            routes.awaitFileEvent("I3_ACCESS_CLIENT", "unassigned");

            assertThat(routes.status().mode()).isEqualTo(IcwsConnection.Mode.POLL);
            assertThat(routes.simulator.requests().stream().filter(r -> r.status() == 404)).hasSize(1);
            assertThat(warnings(routes, "does not offer server-sent events")).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void eventsWithIdRetryEventFieldsCommentsAndSeveralDataLinesAreRead(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "sse", folder, 1)) {
            routes.with("icws.notify.email.enabled", "false").start();
            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");

            int streams = routes.simulator.writeEventStreamFrame("agent1", """
                    : a comment, then an event split over three data lines
                    id: 7
                    retry: 3000
                    event: message
                    data: {"__type":"urn:inin.com:licenses:licenseMessage",
                    data: "isDelta":true,
                    data: "licenseAssignedStatusList":[{"name":"I3_ACCESS_CLIENT","isAssigned":false}]}

                    """);

            assertThat(streams).isEqualTo(1);
            routes.awaitFileEvent("I3_ACCESS_CLIENT", "unassigned");
            assertThat(routes.deadLetterDocuments()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aStreamThatGoesSilentIsReplacedAfterTheIdleTimeout(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "sse", folder, 1)) {
            // the simulator's keep-alives come every 30 s: a 1 s idle time-out sees a silent stream
            routes.replaceSimulator(IcwsSimulator.builder().port(0).keepAliveInterval(Duration.ofSeconds(30))
                    .users(List.of(SimulatedUser.demo())).build().start());
            routes.with("icws.server", routes.simulator.baseUri().toString())
                    .with("icws.sse.idle-timeout", "1000")
                    .with("icws.notify.email.enabled", "false").start();
            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");
            long streams = streamRequests(routes);

            await().atMost(Duration.ofSeconds(10)).until(() -> streamRequests(routes) > streams);
            routes.simulator.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", false);
            routes.awaitFileEvent("I3_ACCESS_CLIENT", "unassigned");
            assertThat(routes.fileEvents("I3_ACCESS_CLIENT", "unassigned")).hasSize(1);
        }
    }

    private static long streamRequests(RoutesHarness routes) {
        return routes.simulator.receivedRequests().stream()
                .filter(r -> r.method().equals("GET") && r.path().endsWith("/messaging/messages")).count();
    }
}
