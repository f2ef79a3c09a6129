package io.icws.licenses.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.icws.licenses.state.LicenseStateTest.off;
import static io.icws.licenses.state.LicenseStateTest.on;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LicenseTrackerTest {

    static final String SERVER = "127.0.0.1:18018";
    static final String USER = "agent1";
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T01:30:00.123Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void firstSnapshotGivesAnObservedEventPerLicenseWithSnapshotAfterApplying() {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);

        List<LicenseChangeEvent> events = tracker.apply(false, List.of(on("I3_A"), off("I3_B")));

        assertThat(events).extracting(LicenseChangeEvent::type)
                .containsExactly("io.icws.license.observed", "io.icws.license.observed");
        assertThat(events).extracting(LicenseChangeEvent::license).containsExactly("I3_A", "I3_B");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.data().snapshot()).isEqualTo(Map.of("I3_A", true, "I3_B", false));
            assertThat(e.time()).isEqualTo("2026-11-28T01:30:00.123Z");
            assertThat(e.source()).isEqualTo("icws://127.0.0.1:18018/agent1");
        });
        assertThat(tracker.snapshot()).isEqualTo(Map.of("I3_A", true, "I3_B", false));
    }

    @Test
    void deltaUnassignGivesOneUnassignedEvent() {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, null, CLOCK);
        tracker.apply(false, List.of(on("I3_A"), on("I3_B")));

        List<LicenseChangeEvent> events = tracker.apply(true, List.of(off("I3_A")));

        assertThat(events).hasSize(1);
        LicenseChangeEvent e = events.get(0);
        assertThat(e.changeType()).isEqualTo(ChangeType.UNASSIGNED);
        assertThat(e.data().previouslyAssigned()).isTrue();
        assertThat(e.data().assigned()).isFalse();
        assertThat(e.data().snapshot()).isEqualTo(Map.of("I3_A", false, "I3_B", true));
    }

    @Test
    void restartGivesOnlyTheChangeMadeWhileAway() throws Exception {
        LicenseTracker before = new LicenseTracker(SERVER, USER, dir, CLOCK);
        before.apply(false, List.of(on("I3_A"), on("I3_B"), off("I3_C")));
        before.apply(true, List.of(off("I3_B")));
        before.commit();

        LicenseTracker after = new LicenseTracker(SERVER, USER, dir, CLOCK);
        assertThat(after.snapshot()).isEqualTo(before.snapshot());
        assertThat(after.epoch()).isEqualTo(before.epoch());
        List<LicenseChangeEvent> events = after.apply(false, List.of(on("I3_A"), off("I3_B"), on("I3_C")));

        assertThat(events).hasSize(1);
        assertThat(events.get(0).license()).isEqualTo("I3_C");
        assertThat(events.get(0).changeType()).isEqualTo(ChangeType.ASSIGNED);
        assertThat(events.get(0).data().previouslyAssigned()).isFalse();
    }

    @Test
    void nothingIsSavedBeforeCommitSoACrashDerivesTheSameChangesWithTheSameIds() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        tracker.apply(false, List.of(on("I3_A")));
        tracker.commit();

        List<LicenseChangeEvent> beforeCrash = tracker.apply(true, List.of(off("I3_A")));
        // the process dies here: the events may be out, the state was not committed
        LicenseTracker restarted = new LicenseTracker(SERVER, USER, dir, CLOCK);
        List<LicenseChangeEvent> again = restarted.apply(false, List.of(off("I3_A")));

        assertThat(again).singleElement().satisfies(e -> {
            assertThat(e.changeType()).isEqualTo(ChangeType.UNASSIGNED);
            assertThat(e.id()).isEqualTo(beforeCrash.get(0).id());
        });
    }

    @Test
    void theSameChangeReadTwiceKeepsItsIdAndTheNextChangeGetsANewOne() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        String observed = tracker.apply(false, List.of(on("I3_A"))).get(0).id();
        tracker.rollback();
        String observedAgain = tracker.apply(false, List.of(on("I3_A"))).get(0).id();
        tracker.commit();
        String unassign = tracker.apply(true, List.of(off("I3_A"))).get(0).id();
        String reassign = tracker.apply(true, List.of(on("I3_A"))).get(0).id();

        assertThat(observedAgain).isEqualTo(observed);
        assertThat(List.of(observed, unassign, reassign)).doesNotHaveDuplicates();
    }

    @Test
    void idsDifferAfterTheStateFolderIsDeleted() throws Exception {
        LicenseTracker first = new LicenseTracker(SERVER, USER, dir, CLOCK);
        first.apply(false, List.of(on("I3_A")));
        String unassignBefore = first.apply(true, List.of(off("I3_A"))).get(0).id();
        first.commit();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }

        // the same sequence of changes, on a fresh state
        LicenseTracker fresh = new LicenseTracker(SERVER, USER, dir, CLOCK);
        fresh.apply(false, List.of(on("I3_A")));
        String unassignAfter = fresh.apply(true, List.of(off("I3_A"))).get(0).id();

        assertThat(fresh.epoch()).isNotEqualTo(first.epoch());
        assertThat(unassignAfter).isNotEqualTo(unassignBefore);
    }

    @Test
    void idsDifferAfterACorruptStateIsMovedAside() throws Exception {
        LicenseTracker first = new LicenseTracker(SERVER, USER, dir, CLOCK);
        String observedBefore = first.apply(false, List.of(on("I3_A"))).get(0).id();
        first.commit();
        Files.writeString(first.stateFile(), "{ not json");

        LicenseTracker fresh = new LicenseTracker(SERVER, USER, dir, CLOCK);
        String observedAfter = fresh.apply(false, List.of(on("I3_A"))).get(0).id();

        assertThat(observedAfter).isNotEqualTo(observedBefore);
    }

    @Test
    void droppedLicenseReturningAfterRestartGetsANewId() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        String firstId = tracker.apply(false, List.of(on("I3_A"), on("I3_B"))).get(1).id();
        tracker.apply(false, List.of(on("I3_A")));
        tracker.commit();

        LicenseTracker restarted = new LicenseTracker(SERVER, USER, dir, CLOCK);
        List<LicenseChangeEvent> back = restarted.apply(true, List.of(on("I3_B")));

        assertThat(back).singleElement().satisfies(e -> {
            assertThat(e.changeType()).isEqualTo(ChangeType.OBSERVED);
            assertThat(e.id()).isNotEqualTo(firstId);
        });
    }

    @Test
    void commitSavesAfterChangesAndAfterEveryFullSnapshotOnly() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        Path file = tracker.stateFile();
        assertThat(file).isEqualTo(LicenseState.stateFile(dir, SERVER, USER));
        // nothing is saved before a commit: the state file is a checkpoint of the committed state
        assertThat(file).doesNotExist();

        tracker.apply(true, List.of());
        assertThat(tracker.commit()).isFalse();
        assertThat(file).doesNotExist();
        tracker.apply(false, List.of());
        assertThat(file).doesNotExist();
        assertThat(tracker.commit()).isTrue();
        assertThat(file).exists();
        Files.delete(file);
        tracker.apply(true, List.of(on("I3_A")));
        tracker.commit();
        assertThat(LicenseState.load(file).snapshot()).isEqualTo(Map.of("I3_A", true));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void aFailedCheckpointLeavesTheCommittedStateStandingAndIsDueUntilItIsSaved() throws Exception {
        Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, blocker.resolve("state"), CLOCK);
        tracker.apply(false, List.of(on("I3_A")));
        tracker.committed(7);

        assertThatThrownBy(tracker::checkpoint).isInstanceOf(IOException.class);
        assertThat(tracker.checkpointDue()).isTrue();
        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.apply(true, List.of(off("I3_A")))).singleElement()
                .satisfies(e -> assertThat(e.changeType()).isEqualTo(ChangeType.UNASSIGNED));
        tracker.committed(8);

        Files.delete(blocker);
        assertThat(tracker.checkpoint()).isTrue();
        assertThat(tracker.checkpointDue()).isFalse();
        LicenseState saved = LicenseState.load(tracker.stateFile());
        assertThat(saved.snapshot()).isEqualTo(Map.of("I3_A", false));
        assertThat(saved.record()).isEqualTo(8);
    }

    @Test
    void aCheckpointTakenBeforeALaterCommitLeavesTheLaterOneDue() throws Exception {
        LicenseTracker tracker = new LicenseTracker("c1", SERVER, USER, dir, CLOCK);
        assertThat(tracker.dueCheckpoint()).isNull();
        tracker.apply(false, List.of(on("I3_A")));
        tracker.committed(5);
        LicenseTracker.Checkpoint first = tracker.dueCheckpoint();
        assertThat(first.file()).isEqualTo(tracker.stateFile());
        tracker.apply(true, List.of(off("I3_A")));
        tracker.committed(6);

        StateFiles.save(first.file(), first.bytes());
        tracker.checkpointed(first);
        assertThat(tracker.checkpointDue()).isTrue();
        assertThat(LicenseState.load(tracker.stateFile()).record()).isEqualTo(5);

        LicenseTracker.Checkpoint second = tracker.dueCheckpoint();
        StateFiles.save(second.file(), second.bytes());
        tracker.checkpointed(second);
        assertThat(tracker.checkpointDue()).isFalse();
        assertThat(tracker.dueCheckpoint()).isNull();
        LicenseState saved = LicenseState.load(tracker.stateFile());
        assertThat(saved.record()).isEqualTo(6);
        assertThat(saved.snapshot()).isEqualTo(Map.of("I3_A", false));
    }

    @Test
    void theOutboxsNewerRecordWinsOverALaggingStateFileAndAnOlderOneDoesNot() throws Exception {
        LicenseTracker first = new LicenseTracker("c1", SERVER, USER, dir, CLOCK);
        first.apply(false, List.of(on("I3_A")));
        first.committed(5);
        first.checkpoint();
        first.apply(true, List.of(off("I3_A")));
        String newer = first.pendingStateJson();

        LicenseTracker again = new LicenseTracker("c1", SERVER, USER, dir, CLOCK);
        again.startFrom(newer, 4); // older than the checkpoint's record 5
        assertThat(again.snapshot()).isEqualTo(Map.of("I3_A", true));
        again.startFrom(newer, 9);
        assertThat(again.snapshot()).isEqualTo(Map.of("I3_A", false));
        assertThat(again.committedRecord()).isEqualTo(9);
        assertThat(again.checkpointDue()).isTrue();
    }

    @Test
    void rollbackReturnsToTheCommittedState() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        tracker.apply(false, List.of(on("I3_A")));
        tracker.commit();
        tracker.apply(true, List.of(off("I3_A")));

        tracker.rollback();

        assertThat(tracker.snapshot()).isEqualTo(Map.of("I3_A", true));
        assertThat(tracker.apply(true, List.of(off("I3_A")))).hasSize(1);
    }

    @Test
    void stateFileOfAnotherIdentityIsNotUsed() throws Exception {
        LicenseState foreign = new LicenseState("other:8018", "someone");
        foreign.apply(false, List.of(on("I3_A")));
        foreign.save(LicenseState.stateFile(dir, SERVER, USER));

        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);

        assertThat(tracker.snapshot()).isEmpty();
    }

    @Test
    void theStateFileCarriesTheConnectionIdAndAnUnnamedOneIsTakenOver() throws Exception {
        LicenseTracker unnamed = new LicenseTracker(SERVER, USER, dir, CLOCK);
        unnamed.apply(false, List.of(on("I3_A")));
        unnamed.commit();

        LicenseTracker named = new LicenseTracker("site-a", SERVER, USER, dir, CLOCK);

        assertThat(named.stateFile().getFileName().toString()).startsWith("site-a_");
        assertThat(named.stateFile()).exists();
        assertThat(unnamed.stateFile()).doesNotExist();
        assertThat(named.snapshot()).isEqualTo(Map.of("I3_A", true));
        assertThat(named.epoch()).isEqualTo(unnamed.epoch());
    }

    @Test
    void missingServerOrUserIsRejected() {
        assertThatThrownBy(() -> new LicenseTracker(null, USER, null, CLOCK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("server");
        assertThatThrownBy(() -> new LicenseTracker(SERVER, null, null, CLOCK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user");
    }
}
