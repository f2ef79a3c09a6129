package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.icws.licenses.simulator.RecordedRequest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A session that only listens on its event stream makes no request of its own, and ICWS times out a session it
 * does not see used: such a session sends a heartbeat every {@code icws.session.heartbeat-interval}; a polling one,
 * whose every poll is use, sends none. Both DSLs.
 */
class SessionKeepAliveRoutesTest {

    @TempDir
    Path folder;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aSessionListeningOnItsStreamSendsAHeartbeatEveryInterval(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "sse", folder, 1)) {
            routes.with("icws.session.heartbeat-interval", "200").with("icws.notify.email.enabled", "false").start();
            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");

            await().atMost(Duration.ofSeconds(10)).until(() -> heartbeats(routes).size() >= 3);
            List<RecordedRequest> beats = heartbeats(routes);
            assertThat(beats).hasSizeGreaterThanOrEqualTo(3).allSatisfy(r -> assertThat(r.status()).isEqualTo(204));
            assertThat(Duration.between(beats.get(0).time(), beats.get(2).time())).isGreaterThan(Duration.ofMillis(300));
            assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aPollingSessionSendsNoHeartbeat(String dsl) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "poll", folder, 1)) {
            routes.with("icws.session.heartbeat-interval", "100").with("icws.notify.email.enabled", "false").start();
            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");

            await().atMost(Duration.ofSeconds(10)).until(() -> routes.requestCount("GET", "/messaging/messages") >= 10);
            assertThat(routes.requestCount("GET", "/messaging/messages")).isGreaterThanOrEqualTo(10);
            assertThat(heartbeats(routes)).isEmpty();
        }
    }

    private static List<RecordedRequest> heartbeats(RoutesHarness routes) {
        return routes.simulator.requests().stream()
                .filter(r -> r.method().equals("POST") && r.path().endsWith("/messaging/heartbeat")).toList();
    }
}
