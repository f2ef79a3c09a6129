package io.icws.licenses.watch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.icws.licenses.state.LicenseState;
import io.icws.licenses.state.LicenseStatus;
import io.icws.licenses.state.LicenseTracker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class StateCheckpointsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-04T05:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private final ExecutorService writer = Executors.newSingleThreadExecutor();
    private final StateCheckpoints checkpoints = new StateCheckpoints(writer);

    @AfterEach
    void stopWriter() {
        writer.shutdownNow();
    }

    @Test
    void commitsThatComeDueWhileTheWriterIsBusyAreSavedInOneRoundEachFileWithItsNewestState() throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        writer.execute(() -> awaitQuietly(busy));
        List<Owner> owners = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            owners.add(new Owner(new LicenseTracker("c" + i, "cic", "u" + i, dir, CLOCK)));
        }
        long record = 0;
        for (int commit = 0; commit < 3; commit++) {
            for (Owner owner : owners) {
                owner.commit(commit % 2 == 0, ++record);
                checkpoints.due(owner);
            }
        }
        assertThat(dir).isEmptyDirectory(); // nothing saved on the committing thread

        busy.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> owners.stream().allMatch(o -> !o.tracker.checkpointDue()));

        for (Owner owner : owners) {
            assertThat(owner.saved).hasValue(1); // one save for three commits
            LicenseState saved = LicenseState.load(owner.tracker.stateFile());
            assertThat(saved.record()).isEqualTo(owner.lastRecord);
            assertThat(saved.snapshot()).isEqualTo(Map.of("I3_A", true));
        }
    }

    @Test
    void aCheckpointThatCannotBeSavedIsToldAndStaysDueUntilAnotherRoundSavesIt() throws Exception {
        Path blocker = dir.resolve("state");
        Files.writeString(blocker, "the disk refuses");
        Owner owner = new Owner(new LicenseTracker("c1", "cic", "u1", blocker, CLOCK));
        owner.commit(true, 4);

        checkpoints.due(owner);
        await().atMost(Duration.ofSeconds(10)).until(() -> owner.failure.get() != null);
        assertThat(owner.tracker.checkpointDue()).isTrue();
        assertThat(owner.saved).hasValue(0);

        Files.delete(blocker);
        checkpoints.due(owner);
        await().atMost(Duration.ofSeconds(10)).until(() -> owner.saved.get() == 1);
        assertThat(owner.tracker.checkpointDue()).isFalse();
        assertThat(LicenseState.load(owner.tracker.stateFile()).record()).isEqualTo(4);
    }

    @Test
    void saveNowReturnsOnceTheStateFileIsCurrent() throws Exception {
        Owner owner = new Owner(new LicenseTracker("c1", "cic", "u1", dir, CLOCK));
        owner.commit(true, 1);
        checkpoints.due(owner);
        owner.commit(false, 2);

        checkpoints.saveNow(owner);

        assertThat(owner.tracker.checkpointDue()).isFalse();
        LicenseState saved = LicenseState.load(owner.tracker.stateFile());
        assertThat(saved.record()).isEqualTo(2);
        assertThat(saved.snapshot()).isEqualTo(Map.of("I3_A", false));
    }

    @Test
    void anOwnerWithNothingDueIsToldItIsSaved() {
        Owner owner = new Owner(new LicenseTracker("c1", "cic", "u1", dir, CLOCK));

        checkpoints.saveNow(owner);

        assertThat(owner.saved).hasValue(1);
        assertThat(dir).isEmptyDirectory();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Owner implements StateCheckpoints.Owner {
        final LicenseTracker tracker;
        final AtomicInteger saved = new AtomicInteger();
        final AtomicReference<IOException> failure = new AtomicReference<>();
        volatile long lastRecord;

        Owner(LicenseTracker tracker) {
            this.tracker = tracker;
        }

        void commit(boolean assigned, long record) {
            tracker.apply(false, List.of(new LicenseStatus("I3_A", assigned)));
            tracker.committed(record);
            lastRecord = record;
        }

        @Override
        public LicenseTracker checkpointTracker() {
            return tracker;
        }

        @Override
        public void checkpointSaved() {
            saved.incrementAndGet();
        }

        @Override
        public void checkpointFailed(IOException e) {
            failure.set(e);
        }
    }
}
