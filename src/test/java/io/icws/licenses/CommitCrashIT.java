package io.icws.licenses;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.icws.licenses.support.PausePoint;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A commit killed at each of its steps, the way it happens: the jar runs as a process, stops for good at one
 * step of a batch's commit ({@link PausePoint}), and is killed there with SIGKILL; a second process on the same
 * folders then finishes the job. After each, every change is delivered once with one id (a second delivery only
 * of an event committed before the kill, and then with the same id), and the state is the committed one: the
 * next change is reported as a change.
 */
class CommitCrashIT extends JarTestSupport {

    private static final String LOCK_INTERVAL = "-Dicws.cluster.file.acquire-lock-interval=200";
    private static final String CLIENT = "I3_ACCESS_CLIENT";

    private Path paused() {
        return tmp.resolve("paused");
    }

    /** Starts a jar that stops for good at the point, makes the change that reaches it, and kills the jar there. */
    private void killAt(String point, Runnable change, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(extra));
        args.addAll(List.of("-Dicws.test.pause-at=" + point, "-Dicws.test.pause-file=" + paused(), LOCK_INTERVAL));
        JarProcess first = startJar("first", args.toArray(String[]::new));
        awaitEvents(3); // the first snapshot: three licenses observed (the first commit)
        change.run();
        await("the jar reaches " + point).atMost(Duration.ofSeconds(30)).until(() -> Files.exists(paused()));
        first.kill();
    }

    private void awaitEvents(int n) {
        await().atMost(Duration.ofSeconds(60)).until(() -> JarProcess.jsonFiles(changes).size() >= n);
    }

    @Test
    void killedAfterTheRecordIsWrittenAndBeforeItIsSyncedTheBatchIsDeliveredWholeAfterTheRestart() throws Exception {
        // a process killed after write(): the record is in the file (the page cache outlives the process)
        killAt(PausePoint.COMMIT_WRITTEN + ":2", () -> simulator.setLicenseAssigned("agent1", STATION, false));
        assertThat(of(STATION, "unassigned")).as("not delivered before its commit").isEmpty();

        startJar("second", LOCK_INTERVAL);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);

        // the record's state is the state now: the next change is a change, the unassignment is not made twice
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertEachChangeOnceWithItsOwnId(5);
    }

    @Test
    void killedAfterTheCommitAndBeforeTheStateCheckpointTheStateComesFromTheOutbox() throws Exception {
        killAt(PausePoint.COMMIT_QUEUED + ":2", () -> simulator.setLicenseAssigned("agent1", STATION, false));

        startJar("second", LOCK_INTERVAL);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);
        // the state file still says assigned (the checkpoint never ran); the outbox's record says unassigned
        simulator.setLicenseAssigned("agent1", STATION, true);

        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertEachChangeOnceWithItsOwnId(5);
    }

    /** Polling, every message its own part: one poll of two changes is committed as two records, one at a time. */
    private static final String[] IN_PARTS = {"-Dicws.receive=poll", "-Dicws.poll.interval=100",
            "-Dicws.commit.events-per-record=1"};

    /** Two changes in one poll: the poll is held while they are made, then answered with both. */
    private void twoChangesInOnePoll() {
        simulator.hang("/messaging/messages", false);
        await().atMost(Duration.ofSeconds(30)).until(() -> simulator.heldRequests() == 1);
        simulator.setLicenseAssigned("agent1", STATION, false);
        simulator.setLicenseAssigned("agent1", CLIENT, false);
        simulator.releaseHang();
    }

    private String[] inParts(String... more) {
        List<String> args = new ArrayList<>(List.of(IN_PARTS));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void killedAfterASecondPartIsWrittenBothPartsOfTheBatchAreDeliveredOnce() throws Exception {
        // sync rounds: 1 the snapshot, 2 the first part (durable before the second is written), 3 the second part
        killAt(PausePoint.COMMIT_WRITTEN + ":3", this::twoChangesInOnePoll, IN_PARTS);
        assertThat(of(CLIENT, "unassigned")).as("not delivered before its commit").isEmpty();

        startJar("second", inParts(LOCK_INTERVAL));
        await().atMost(Duration.ofSeconds(60)).until(() -> of(CLIENT, "unassigned").size() == 1
                && of(STATION, "unassigned").size() == 1);

        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertThat(of(CLIENT, "unassigned")).hasSize(1);
        assertEachChangeOnceWithItsOwnId(6);
    }

    @Test
    void killedWhileTheFirstPartIsSyncedTheSecondIsNeverWrittenAndTheSnapshotBringsIt() throws Exception {
        killAt(PausePoint.COMMIT_WRITTEN + ":2", this::twoChangesInOnePoll, IN_PARTS);
        assertThat(of(STATION, "unassigned")).as("not delivered before its commit").isEmpty();

        startJar("second", inParts(LOCK_INTERVAL));
        // the first part was written (the page cache outlives the process); the second comes from the snapshot
        await().atMost(Duration.ofSeconds(60)).until(() -> of(CLIENT, "unassigned").size() == 1
                && of(STATION, "unassigned").size() == 1);

        simulator.setLicenseAssigned("agent1", CLIENT, true);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(CLIENT, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertThat(of(CLIENT, "unassigned")).hasSize(1);
        assertEachChangeOnceWithItsOwnId(6);
    }

    @Test
    void killedDuringASegmentRollOverNothingIsLostOrDoubled() throws Exception {
        // segments of 1 KiB: the first snapshot fills the first, the next commit rolls over
        killAt(PausePoint.ROLL_OVER + ":2", () -> simulator.setLicenseAssigned("agent1", STATION, false),
                "-Dicws.outbox.segment-size-kib=1");

        startJar("second", "-Dicws.outbox.segment-size-kib=1", LOCK_INTERVAL);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);
        simulator.setLicenseAssigned("agent1", STATION, true);

        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertEachChangeOnceWithItsOwnId(5);
    }

    @Test
    void aStateFolderRefusedWhileChangesWentBothWaysThenAKillGivesTheNextChangeANewId() throws Exception {
        Path stateFolder = tmp.resolve("state");
        JarProcess first = startJar("first", LOCK_INTERVAL);
        awaitEvents(3);
        // the disk refuses the state folder from now on (its path is a file): checkpoints fail
        deleteTree(stateFolder);
        Files.writeString(stateFolder, "not a folder");
        simulator.setLicenseAssigned("agent1", STATION, false);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        String firstUnassignment = of(STATION, "unassigned").get(0).path("id").asText();
        first.kill();

        Files.delete(stateFolder); // the disk is back
        JarProcess second = startJar("second", LOCK_INTERVAL);
        await().atMost(Duration.ofSeconds(60)).until(() -> second.log().contains("Subscribed to license messages"));
        simulator.setLicenseAssigned("agent1", STATION, false);

        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 2);
        assertThat(of(STATION, "unassigned")).extracting(e -> e.path("id").asText())
                .contains(firstUnassignment).doesNotHaveDuplicates();
        assertEachChangeOnceWithItsOwnId(6);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
