package io.icws.licenses;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two jar processes with the same settings on one data folder, as a standby on a shared volume or a rolling
 * update: one owns the folder (the default file lock), the other stands by; killing the owner (SIGKILL) or
 * stopping it (SIGTERM) hands the connection over within the takeover time, and every change is reported once.
 */
class ReplicasProcessIT extends JarTestSupport {

    private long count(String changeType) throws IOException {
        return of(STATION, changeType).size();
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
