package io.icws.licenses.outbox;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChange;
import io.icws.licenses.state.LicenseChangeEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The outbox's contract, with real files: durable order per target, cursors, restart, torn lines, clean-up. */
class OutboxTest {

    @TempDir
    Path dir;

    private final List<Outbox> opened = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (Outbox outbox : opened) {
            outbox.stop();
        }
    }

    private Outbox open() throws Exception {
        Outbox outbox = new FileOutbox(dir, new ObjectMapper());
        outbox.start();
        opened.add(outbox);
        return outbox;
    }

    static LicenseChangeEvent event(String license, long sequence) {
        return LicenseChangeEvent.of("epoch", "srv:8019", "agent1",
                new LicenseChange(license, ChangeType.UNASSIGNED, false, true, sequence), Map.of(license, false),
                Instant.parse("2026-11-28T01:30:00Z"));
    }

    /** Takes n events from the queue: their licenses, in order. */
    private static List<String> drain(TargetQueue queue, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outbox.Entry entry = queue.next(1, TimeUnit.SECONDS);
            assertThat(entry).as("event %d of %d", i + 1, n).isNotNull();
            ids.add(entry.event().license());
            queue.taken(entry, false);
        }
        return ids;
    }

    @Test
    void eachTargetGetsEveryEventInOrderAndOnlyTakenOnesLeave() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        TargetQueue jms = outbox.queue("jms");
        List<LicenseChangeEvent> events = List.of(event("I3_A", 1), event("I3_B", 1), event("I3_A", 2));

        outbox.append(events);

        assertThat(drain(file, 3)).containsExactly("I3_A", "I3_B", "I3_A");
        // jms has taken nothing: all three still wait there, the head stays until taken
        assertThat(jms.status().depth()).isEqualTo(3);
        assertThat(jms.next(10, TimeUnit.MILLISECONDS)).isSameAs(jms.next(10, TimeUnit.MILLISECONDS));
        assertThat(file.next(10, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void afterARestartEachTargetGetsWhatItHadNotTakenFirst() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        outbox.queue("jms");
        outbox.append(List.of(event("I3_A", 1), event("I3_B", 1), event("I3_C", 1)));
        drain(file, 2);
        outbox.stop();

        Outbox again = open();
        TargetQueue fileAgain = again.queue("file");
        TargetQueue jmsAgain = again.queue("jms");

        assertThat(drain(fileAgain, 1)).containsExactly("I3_C");
        assertThat(drain(jmsAgain, 3)).hasSize(3);
        // new events follow, with sequences after the old ones
        again.append(List.of(event("I3_D", 1)));
        assertThat(drain(fileAgain, 1)).containsExactly("I3_D");
    }

    @Test
    void anEventForOneTargetReachesOnlyThatTarget() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        TargetQueue jms = outbox.queue("jms");

        outbox.resend(List.of(event("I3_A", 1)), Set.of("jms"));

        assertThat(file.next(10, TimeUnit.MILLISECONDS)).isNull();
        assertThat(drain(jms, 1)).hasSize(1);
    }

    @Test
    void aTornLastLineIsCutOffAndTheRestIsKept() throws Exception {
        Outbox outbox = open();
        outbox.queue("file");
        outbox.append(List.of(event("I3_A", 1), event("I3_B", 1)));
        outbox.stop();
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
        Files.writeString(segment, "{\"seq\":3,\"events\":[{\"specversion\":\"1.0\",\"id\":\"half",
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        Outbox again = open();
        TargetQueue file = again.queue("file");

        assertThat(drain(file, 2)).containsExactly("I3_A", "I3_B");
        assertThat(file.next(10, TimeUnit.MILLISECONDS)).isNull();
        assertThat(Files.readString(segment)).endsWith("}\n");
        again.append(List.of(event("I3_C", 1)));
        assertThat(drain(file, 1)).containsExactly("I3_C");
    }

    @Test
    void aTargetSeenForTheFirstTimeGetsWhatIsStillInTheOutbox() throws Exception {
        Outbox outbox = open();
        outbox.append(List.of(event("I3_A", 1)));

        TargetQueue late = outbox.queue("email");

        assertThat(drain(late, 1)).containsExactly("I3_A");
    }

    @Test
    void segmentsEveryTargetHasPassedAreDeletedOnceDeletionIsAllowed() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        outbox.append(List.of(event("I3_A", 1)));
        drain(file, 1);
        outbox.stop();
        Outbox again = open();
        TargetQueue fileAgain = again.queue("file");
        again.append(List.of(event("I3_B", 1)));
        assertThat(segments()).hasSize(2);

        again.allowDeletion();
        drain(fileAgain, 1);

        // the old segment is gone; the one being written stays
        assertThat(segments()).hasSize(1);
    }

    @Test
    void sequencesGoOnAfterTheSegmentsAreGoneSoNewEventsAreNotTakenForOldOnes() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        outbox.append(List.of(event("I3_A", 1), event("I3_B", 1)));
        drain(file, 2);
        outbox.stop();
        for (Path segment : segments()) {
            Files.delete(segment); // all taken, then lost (or deleted by an older version)
        }

        Outbox again = open();
        TargetQueue fileAgain = again.queue("file");
        again.append(List.of(event("I3_C", 1)));

        assertThat(drain(fileAgain, 1)).containsExactly("I3_C");
    }

    @Test
    void theNewestSegmentIsKeptWhenEverythingWasTaken() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        outbox.append(List.of(event("I3_A", 1)));
        drain(file, 1);
        outbox.stop();

        Outbox again = open();
        again.queue("file");
        again.allowDeletion();

        assertThat(segments()).hasSize(1);
    }

    @Test
    void aStoppedTargetKeepsWhatItHasNotTakenWhileTheOthersGoOn() throws Exception {
        Outbox outbox = open();
        outbox.queue("file");
        outbox.queue("email");
        outbox.append(List.of(event("I3_A", 1)));
        outbox.stop();

        Outbox again = open();
        TargetQueue file = again.queue("file");
        TargetQueue email = again.queue("email");
        again.append(List.of(event("I3_B", 1)));
        again.allowDeletion();
        again.release(email); // its route stopped first, as at a shutdown
        drain(file, 2);
        again.stop();

        Outbox third = open();
        assertThat(drain(third.queue("email"), 2)).containsExactly("I3_A", "I3_B");
    }

    @Test
    void everyCommittedEventGetsItsOwnIdAndKeepsItAfterARestart() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        // the same change derived twice (say, after a rollback) is two records: two ids, never one
        Outbox.Committed first = outbox.commit("site-a", state("I3_A", false), List.of(event("I3_A", 1)));
        Outbox.Committed second = outbox.commit("site-a", state("I3_A", false), List.of(event("I3_A", 1)));
        String firstId = first.entries().get(0).event().id();

        assertThat(firstId).isNotEqualTo(second.entries().get(0).event().id())
                .isNotEqualTo(event("I3_A", 1).id());
        assertThat(file.next(10, TimeUnit.MILLISECONDS).event().id()).isEqualTo(firstId);
        outbox.stop();

        Outbox again = open();
        assertThat(again.queue("file").next(1, TimeUnit.SECONDS).event().id()).isEqualTo(firstId);
    }

    @Test
    void aConnectionsStateIsTheOneItsNewestRecordLeft() throws Exception {
        Outbox outbox = open();
        outbox.commit("site-a", state("I3_A", true), List.of(event("I3_A", 1)));
        Outbox.Committed newest = outbox.commit("site-a", state("I3_A", false), List.of(event("I3_A", 2)));
        outbox.commit("site-b", state("I3_B", true), List.of());
        outbox.stop();

        Outbox again = open();

        assertThat(again.lastState("site-a").sequence()).isEqualTo(newest.sequence());
        assertThat(again.lastState("site-a").state()).contains("\"I3_A\":false");
        assertThat(again.lastState("site-b").state()).contains("\"I3_B\":true");
        assertThat(again.lastState("site-c")).isNull();
    }

    @Test
    void commitsOfManyConnectionsAtOnceAreEachDurableQueuedInSequenceOrderAndKeptAcrossARestart() throws Exception {
        Outbox outbox = openWithSegmentBytes(4_000); // roll-overs happen among the commits too
        TargetQueue file = outbox.queue("file");
        int connections = 200;
        java.util.concurrent.ExecutorService committers = java.util.concurrent.Executors.newFixedThreadPool(16);
        List<java.util.concurrent.CompletableFuture<Outbox.Committed>> commits = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                String connection = "c" + i;
                commits.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> outbox.commitAsync(connection,
                        state("I3_" + connection, true), List.of(event("I3_" + connection, 1))), committers)
                        .thenCompose(stage -> stage));
            }
            java.util.concurrent.CompletableFuture.allOf(commits.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(30, TimeUnit.SECONDS);
        } finally {
            committers.shutdownNow();
        }

        List<Long> queued = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Outbox.Entry entry = file.next(5, TimeUnit.SECONDS);
            assertThat(entry).as("event %d of %d", i + 1, connections).isNotNull();
            queued.add(entry.sequence());
            file.taken(entry, false);
        }
        assertThat(queued).isSorted().doesNotHaveDuplicates();
        assertThat(commits).allSatisfy(c -> assertThat(queued).contains(c.join().sequence()));
        outbox.stop();

        Outbox again = open();
        for (int i = 0; i < connections; i++) {
            assertThat(again.lastState("c" + i).state()).contains("\"I3_c" + i + "\":true");
        }
    }

    @Test
    void segmentsRollOverAndEveryStateIsCarriedIntoTheNewOneSoDeletionLosesNone() throws Exception {
        Outbox outbox = openWithSegmentBytes(600);
        TargetQueue file = outbox.queue("file");
        outbox.allowDeletion();
        outbox.commit("site-b", state("I3_B", true), List.of(event("I3_B", 1)));
        for (int i = 1; i <= 10; i++) {
            outbox.commit("site-a", state("I3_A", i % 2 == 0), List.of(event("I3_A", i)));
        }

        assertThat(drain(file, 11)).startsWith("I3_B", "I3_A").hasSize(11);
        // every target is past the old segments: they are gone, the newest stays, no state is lost
        assertThat(segments()).hasSizeLessThan(3);
        outbox.stop();
        Outbox again = openWithSegmentBytes(600);
        assertThat(again.lastState("site-b").state()).contains("\"I3_B\":true");
        assertThat(again.lastState("site-a").state()).contains("\"I3_A\":true");
        assertThat(again.queue("file").next(10, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void aRollOverThatCannotOpenTheNewSegmentGoesOnInTheOldOneAndRollsOverOnceTheDiskIsBack() throws Exception {
        Outbox outbox = openWithSegmentBytes(300);
        TargetQueue file = outbox.queue("file");
        outbox.commit("site-a", state("I3_A", true), List.of(event("I3_A", 1)));
        // the next segment's name is taken by a folder: opening it fails, as on a full disk or too many files
        Path next = dir.resolve("outbox-00000000000000000002.jsonl");
        Files.createDirectory(next);

        outbox.commit("site-a", state("I3_A", false), List.of(event("I3_A", 2)));
        assertThat(segments()).hasSize(1);
        Files.delete(next); // the disk is back
        outbox.commit("site-a", state("I3_A", true), List.of(event("I3_A", 3)));

        assertThat(drain(file, 3)).containsExactly("I3_A", "I3_A", "I3_A");
        assertThat(segments()).hasSize(2);
        outbox.stop();
        assertThat(open().lastState("site-a").state()).contains("\"I3_A\":true");
    }

    @Test
    void aFirstSegmentThatCannotBeOpenedFailsTheCommitAndTheNextOneWorks() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        Path first = dir.resolve("outbox-00000000000000000001.jsonl");
        Files.createDirectory(first);

        assertThatThrownBy(() -> outbox.commit("site-a", state("I3_A", true), List.of(event("I3_A", 1))))
                .isInstanceOf(OutboxWriteException.class);
        assertThat(outbox.problem()).contains("outbox");
        assertThat(file.next(10, TimeUnit.MILLISECONDS)).as("nothing of a failed commit is delivered").isNull();

        Files.delete(first);
        outbox.commit("site-a", state("I3_A", false), List.of(event("I3_A", 2)));
        Outbox.Entry delivered = file.next(1, TimeUnit.SECONDS);
        assertThat(delivered.event().data().assigned()).isFalse();
        assertThat(delivered.sequence()).as("the failed commit's sequence was never used").isEqualTo(1);
    }

    @Test
    void aReplayToATargetThatIsNotRunningIsRefusedNamingIt() throws Exception {
        Outbox outbox = open();
        outbox.queue("file");

        assertThatThrownBy(() -> outbox.resend(List.of(event("I3_A", 1)), Set.of("email")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'email' is not running here").hasMessageContaining("file");
    }

    @Test
    void sequencesNeverGoBelowAStateCheckpoint() throws Exception {
        Outbox outbox = open();
        outbox.reserveAbove(500);

        assertThat(outbox.commit("site-a", state("I3_A", true), List.of()).sequence()).isEqualTo(501);
    }

    private Outbox openWithSegmentBytes(long bytes) throws Exception {
        Outbox outbox = new FileOutbox(dir, new ObjectMapper(), bytes);
        outbox.start();
        opened.add(outbox);
        return outbox;
    }

    private static String state(String license, boolean assigned) {
        return "{\"format\":2,\"epoch\":\"e\",\"server\":\"srv:8019\",\"user\":\"agent1\",\"licenses\":{\""
                + license + "\":" + assigned + "},\"sequences\":{\"" + license + "\":1}}";
    }

    private List<Path> segments() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(f)).toList();
        }
    }
}
