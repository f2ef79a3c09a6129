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
        Outbox outbox = new Outbox(dir, new ObjectMapper());
        outbox.start();
        opened.add(outbox);
        return outbox;
    }

    static LicenseChangeEvent event(String license, long sequence) {
        return LicenseChangeEvent.of("epoch", "srv:8019", "agent1",
                new LicenseChange(license, ChangeType.UNASSIGNED, false, true, sequence), Map.of(license, false),
                Instant.parse("2026-11-28T01:30:00Z"));
    }

    private static List<String> drain(TargetQueue queue, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outbox.Entry entry = queue.next(1, TimeUnit.SECONDS);
            assertThat(entry).as("event %d of %d", i + 1, n).isNotNull();
            ids.add(entry.event().id());
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
        outbox.sync();

        assertThat(drain(file, 3)).containsExactly(events.get(0).id(), events.get(1).id(), events.get(2).id());
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
        outbox.sync();
        drain(file, 2);
        outbox.stop();

        Outbox again = open();
        TargetQueue fileAgain = again.queue("file");
        TargetQueue jmsAgain = again.queue("jms");

        assertThat(drain(fileAgain, 1)).containsExactly(event("I3_C", 1).id());
        assertThat(drain(jmsAgain, 3)).hasSize(3);
        // new events follow, with sequences after the old ones
        again.append(List.of(event("I3_D", 1)));
        assertThat(drain(fileAgain, 1)).containsExactly(event("I3_D", 1).id());
    }

    @Test
    void anEventForOneTargetReachesOnlyThatTarget() throws Exception {
        Outbox outbox = open();
        TargetQueue file = outbox.queue("file");
        TargetQueue jms = outbox.queue("jms");

        outbox.append(List.of(event("I3_A", 1)), Set.of("jms"));

        assertThat(file.next(10, TimeUnit.MILLISECONDS)).isNull();
        assertThat(drain(jms, 1)).hasSize(1);
    }

    @Test
    void aTornLastLineIsCutOffAndTheRestIsKept() throws Exception {
        Outbox outbox = open();
        outbox.queue("file");
        outbox.append(List.of(event("I3_A", 1), event("I3_B", 1)));
        outbox.sync();
        outbox.stop();
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
        Files.writeString(segment, "{\"seq\":3,\"event\":{\"specversion\":\"1.0\",\"id\":\"half",
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        Outbox again = open();
        TargetQueue file = again.queue("file");

        assertThat(drain(file, 2)).containsExactly(event("I3_A", 1).id(), event("I3_B", 1).id());
        assertThat(file.next(10, TimeUnit.MILLISECONDS)).isNull();
        assertThat(Files.readString(segment)).endsWith("}\n");
        again.append(List.of(event("I3_C", 1)));
        assertThat(drain(file, 1)).containsExactly(event("I3_C", 1).id());
    }

    @Test
    void aTargetSeenForTheFirstTimeGetsWhatIsStillInTheOutbox() throws Exception {
        Outbox outbox = open();
        outbox.append(List.of(event("I3_A", 1)));
        outbox.sync();

        TargetQueue late = outbox.queue("email");

        assertThat(drain(late, 1)).containsExactly(event("I3_A", 1).id());
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

        assertThat(drain(fileAgain, 1)).containsExactly(event("I3_C", 1).id());
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
        outbox.sync();
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
        assertThat(drain(third.queue("email"), 2)).containsExactly(event("I3_A", 1).id(), event("I3_B", 1).id());
    }

    private List<Path> segments() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).toList();
        }
    }
}
