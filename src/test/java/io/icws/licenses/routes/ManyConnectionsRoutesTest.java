package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Many connections in one context, none lost silently: each logs in once, subscribes, is subscribed again by every
 * cron firing (all of them at once, jitter 0), and reports its user's change; a connection that cannot log in says
 * why and is DOWN with the reason, the others UP; a shutdown that cannot log the sessions out says how many in one
 * line. (The benchmark's 1,000-connection row proves the same at 1,000.)
 */
class ManyConnectionsRoutesTest {

    private static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final String SUBSCRIPTION = "/messaging/subscriptions/licenses";

    @TempDir
    Path folder;

    private static List<String> ids(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("c%02d", i)).toList();
    }

    @Test
    void everyConnectionLogsInIsSubscribedAgainByEachCronFiringAndReportsItsChange() throws Exception {
        List<String> ids = ids(40);
        try (RoutesHarness routes = new RoutesHarness("yaml", "sse", folder, 1)) {
            routes.with("icws.connections", String.join(",", ids))
                    .with("icws.notify.email.enabled", "false")
                    .with("icws.subscribe.cron", "* * * * * ?") // every second, every connection at once
                    .with("icws.subscribe.jitter", "0")
                    .captureLog().start();
            await().atMost(Duration.ofSeconds(30)).until(() -> routes.fileEvents().size() == 3 * ids.size());

            // two more firings: each connection PUT its subscription again, none refused anywhere
            long puts = routes.requestCount("PUT", SUBSCRIPTION);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> routes.requestCount("PUT", SUBSCRIPTION) >= puts + 2L * ids.size());

            routes.simulator.setLicenseAssigned(RoutesHarness.USER, STATION, false);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> routes.fileEvents(STATION, "unassigned").size() == ids.size());
            for (String id : ids) {
                assertThat(routes.watch(id).changeCount()).as(id).isEqualTo(4); // 3 observed + its unassignment
                assertThat(routes.health("icws-" + id).getState()).as(id).isEqualTo(HealthCheck.State.UP);
            }
            assertThat(routes.fileEvents(STATION, "unassigned")).hasSize(ids.size());
            assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(ids.size()); // one log-in each
            assertThat(routes.logLines()).noneMatch(l -> l.contains("Rejected") || l.contains("rejected")
                    || l.contains("unexpected failure"));
        }
    }

    @Test
    void aConnectionThatCannotLogInSaysWhyAndIsDownWithTheReasonTheOthersUp() throws Exception {
        List<String> ids = ids(10);
        try (RoutesHarness routes = new RoutesHarness("yaml", "sse", folder, 1)) {
            routes.with("icws.connections", String.join(",", ids) + ",stranger")
                    .with("icws.connections.stranger.user", "nobody") // no such user at the server
                    .with("icws.notify.email.enabled", "false")
                    .captureLog().start();
            await().atMost(Duration.ofSeconds(30)).until(() -> routes.fileEvents().size() == 3 * ids.size());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> routes.health("icws-stranger").getMessage().orElse("").contains("400"));

            HealthCheck.Result stranger = routes.health("icws-stranger");
            assertThat(stranger.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(stranger.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("/icws/connection")
                    .contains("400"));
            assertThat(routes.logLines()).anyMatch(l -> l.contains("/icws/connection") && l.contains("400")
                    && l.contains("icws.subscribe.cron"));
            for (String id : ids) {
                assertThat(routes.health("icws-" + id).getState()).as(id).isEqualTo(HealthCheck.State.UP);
            }
        }
    }

    @Test
    void aShutdownThatCannotLogTheSessionsOutSaysHowManyInOneLine() throws Exception {
        List<String> ids = ids(5);
        try (RoutesHarness routes = new RoutesHarness("yaml", "sse", folder, 1)) {
            routes.with("icws.connections", String.join(",", ids))
                    .with("icws.notify.email.enabled", "false")
                    .with("icws.shutdown.timeout", "1000")
                    .captureLog().start();
            await().atMost(Duration.ofSeconds(30)).until(() -> routes.fileEvents().size() == 3 * ids.size());

            routes.simulator.hang(); // the log-outs get no answer
            routes.stop();

            List<String> summary = routes.logLines().stream().filter(l -> l.contains("could not be logged out"))
                    .collect(Collectors.toList());
            assertThat(summary).hasSize(1);
            assertThat(summary.get(0)).startsWith("5 of 5 ICWS session(s) could not be logged out cleanly within "
                    + "icws.shutdown.timeout (1000 ms)");
            // no line per session
            assertThat(routes.logLines()).noneMatch(l -> l.startsWith("Could not log out of ICWS")
                    || l.contains("not closed within icws.shutdown.timeout"));
        }
    }
}
