package io.icws.licenses.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
    void restartGivesOnlyTheChangeMadeWhileAway() {
        LicenseTracker before = new LicenseTracker(SERVER, USER, dir, CLOCK);
        before.apply(false, List.of(on("I3_A"), on("I3_B"), off("I3_C")));
        before.apply(true, List.of(off("I3_B")));

        LicenseTracker after = new LicenseTracker(SERVER, USER, dir, CLOCK);
        assertThat(after.snapshot()).isEqualTo(before.snapshot());
        List<LicenseChangeEvent> events = after.apply(false, List.of(on("I3_A"), off("I3_B"), on("I3_C")));

        assertThat(events).hasSize(1);
        assertThat(events.get(0).license()).isEqualTo("I3_C");
        assertThat(events.get(0).changeType()).isEqualTo(ChangeType.ASSIGNED);
        assertThat(events.get(0).data().previouslyAssigned()).isFalse();
    }

    @Test
    void sameChangeSeenByTwoRunsHasTheSameIdAndNextChangeANewOne() {
        LicenseTracker first = new LicenseTracker(SERVER, USER, null, CLOCK);
        LicenseTracker second = new LicenseTracker(SERVER, USER, null, CLOCK);

        String id1 = first.apply(false, List.of(on("I3_A"))).get(0).id();
        String id2 = second.apply(false, List.of(on("I3_A"))).get(0).id();
        String unassign = first.apply(true, List.of(off("I3_A"))).get(0).id();
        String reassign = first.apply(true, List.of(on("I3_A"))).get(0).id();

        assertThat(id2).isEqualTo(id1);
        assertThat(List.of(id1, unassign, reassign)).doesNotHaveDuplicates();
    }

    @Test
    void droppedLicenseReturningAfterRestartGetsANewId() {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        String firstId = tracker.apply(false, List.of(on("I3_A"), on("I3_B"))).get(1).id();
        tracker.apply(false, List.of(on("I3_A")));

        LicenseTracker restarted = new LicenseTracker(SERVER, USER, dir, CLOCK);
        List<LicenseChangeEvent> back = restarted.apply(true, List.of(on("I3_B")));

        assertThat(back).singleElement().satisfies(e -> {
            assertThat(e.changeType()).isEqualTo(ChangeType.OBSERVED);
            assertThat(e.id()).isNotEqualTo(firstId);
        });
    }

    @Test
    void stateIsSavedAfterChangesAndAfterEveryFullSnapshot() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        Path file = tracker.stateFile();
        assertThat(file).isEqualTo(LicenseState.stateFile(dir, SERVER, USER));

        tracker.apply(true, List.of());
        assertThat(file).doesNotExist();
        tracker.apply(false, List.of());
        assertThat(file).exists();
        Files.delete(file);
        tracker.apply(true, List.of(on("I3_A")));
        assertThat(LicenseState.load(file).snapshot()).isEqualTo(Map.of("I3_A", true));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void failedSaveLeavesStateUnchangedSoARetryGivesTheSameEvents() throws Exception {
        Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, blocker.resolve("state"), CLOCK);

        assertThatThrownBy(() -> tracker.apply(false, List.of(on("I3_A"))))
                .isInstanceOf(UncheckedIOException.class);
        assertThat(tracker.snapshot()).isEmpty();

        Files.delete(blocker);
        List<LicenseChangeEvent> retry = tracker.apply(false, List.of(on("I3_A")));
        assertThat(retry).singleElement().satisfies(e -> assertThat(e.changeType()).isEqualTo(ChangeType.OBSERVED));
        assertThat(retry.get(0).id()).isEqualTo(
                LicenseChangeEvent.stableId(SERVER, USER, "I3_A", 1, ChangeType.OBSERVED));
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
    void concurrentDeltasAreAllApplied() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, dir, CLOCK);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<LicenseChangeEvent>>> futures = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String name = "I3_L" + i;
                futures.add(pool.submit(() -> tracker.apply(true, List.of(on(name)))));
            }
            int events = 0;
            for (Future<List<LicenseChangeEvent>> f : futures) {
                events += f.get(30, TimeUnit.SECONDS).size();
            }
            assertThat(events).isEqualTo(64);
        } finally {
            pool.shutdownNow();
        }
        assertThat(tracker.snapshot()).hasSize(64);
        assertThat(new LicenseTracker(SERVER, USER, dir, CLOCK).snapshot()).hasSize(64);
    }

    @Test
    void applyMessageReadsAParsedIcwsLicenseMessage() throws Exception {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, null, CLOCK);
        Map<String, Object> full = new com.fasterxml.jackson.databind.ObjectMapper().readValue("""
                {"__type": "urn:inin.com:licenses:licenseMessage", "isDelta": false,
                 "licenseAssignedStatusList": [
                   {"name": "I3_ACCESS_CLIENT", "isAssigned": true},
                   {"name": "I3_LICENSE_BASIC_STATION", "isAssigned": false}]}""",
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });

        assertThat(tracker.applyMessage(full)).hasSize(2);
        List<LicenseChangeEvent> delta = tracker.applyMessage(Map.of("isDelta", true,
                "licenseAssignedStatusList", List.of(Map.of("name", "I3_ACCESS_CLIENT", "isAssigned", false))));

        assertThat(delta).singleElement().satisfies(e -> assertThat(e.changeType()).isEqualTo(ChangeType.UNASSIGNED));
        assertThat(tracker.snapshot()).isEqualTo(Map.of("I3_ACCESS_CLIENT", false, "I3_LICENSE_BASIC_STATION", false));
    }

    @Test
    void applyMessageRejectsMalformedMessagesNamingTheProblem() {
        LicenseTracker tracker = new LicenseTracker(SERVER, USER, null, CLOCK);
        tracker.apply(false, List.of(on("I3_A")));

        assertThatThrownBy(() -> tracker.applyMessage(Map.of("licenseAssignedStatusList", List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("isDelta");
        assertThatThrownBy(() -> tracker.applyMessage(Map.of("isDelta", "false", "licenseAssignedStatusList", List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("isDelta");
        assertThatThrownBy(() -> tracker.applyMessage(Map.of("isDelta", true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("licenseAssignedStatusList");
        assertThatThrownBy(() -> tracker.applyMessage(Map.of("isDelta", true,
                "licenseAssignedStatusList", List.of(Map.of("name", "I3_A")))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item #0").hasMessageContaining("isAssigned");
        assertThatThrownBy(() -> tracker.applyMessage(Map.of("isDelta", true,
                "licenseAssignedStatusList", List.of(Map.of("isAssigned", false)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> tracker.applyMessage(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(tracker.snapshot()).isEqualTo(Map.of("I3_A", true));
    }

    @Test
    void missingServerOrUserIsRejected() {
        assertThatThrownBy(() -> new LicenseTracker(null, USER, null, CLOCK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("server");
        assertThatThrownBy(() -> new LicenseTracker(SERVER, null, null, CLOCK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user");
    }
}
