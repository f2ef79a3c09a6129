package io.icws.licenses;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.icws.licenses.support.PausePoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A commit killed at each of its steps, the way it happens: the jar runs as a process, stops for good at one
 * step of a batch's commit ({@link PausePoint}), and is killed there with SIGKILL; a second process on the same
 * folders then finishes the job. After each, every change is delivered once with one id (a second delivery only
 * of an event committed before the kill, and then with the same id), and the state is the committed one: the
 * next change is reported as a change.
 */
class CommitCrashIT {

    private static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private IcwsSimulator simulator;
    private Path changes;
    private Path paused;
    private final List<JarProcess> started = new ArrayList<>();

    @BeforeEach
    void startSimulator() {
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        changes = tmp.resolve("changes");
        paused = tmp.resolve("paused");
    }

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess jar : started) {
            jar.close();
        }
        simulator.close();
    }

    private JarProcess startJar(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "-Dicws.server=" + simulator.baseUri(), "-Dicws.user=agent1", "-Dicws.password=secret",
                "-Dicws.receive=sse", "-Dicws.subscribe.jitter=0", "-Dicws.health.enabled=false",
                "-Dicws.notify.jms.enabled=false", "-Dicws.notify.file.directory=" + changes,
                "-Dicws.shutdown.timeout=2000",
                "-Dicws.state.directory=" + tmp.resolve("state"), "-Dicws.cluster.file.acquire-lock-interval=200",
                "-Dicws.outbox.directory=" + tmp.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter"),
                "-Dicws.test.pause-file=" + paused));
        args.addAll(List.of(extra));
        JarProcess jar = JarProcess.start(tmp, tmp.resolve(name + ".log"), args);
        started.add(jar);
        return jar;
    }

    /** Starts a jar that stops for good at the point, makes the change that reaches it, and kills the jar there. */
    private void killAt(String point, Runnable change, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(extra));
        args.add("-Dicws.test.pause-at=" + point);
        JarProcess first = startJar("first", args.toArray(String[]::new));
        awaitEvents(3); // the first snapshot: three licenses observed (the first commit)
        change.run();
        await("the jar reaches " + point).atMost(Duration.ofSeconds(30)).until(() -> Files.exists(paused));
        first.kill();
    }

    private List<JsonNode> delivered() throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (Path file : JarProcess.jsonFiles(changes)) {
            events.add(JSON.readTree(file.toFile()));
        }
        return events;
    }

    private void awaitEvents(int n) {
        await().atMost(Duration.ofSeconds(60)).until(() -> JarProcess.jsonFiles(changes).size() >= n);
    }

    private List<JsonNode> of(String license, String changeType) throws IOException {
        return delivered().stream().filter(e -> e.path("data").path("license").asText().equals(license)
                && e.path("data").path("changeType").asText().equals(changeType)).toList();
    }

    private void assertEveryIdNamesOneChange() throws IOException {
        Set<String> ids = new HashSet<>();
        for (JsonNode e : delivered()) {
            assertThat(ids.add(e.path("id").asText())).as("id %s delivered for two changes", e.path("id")).isTrue();
        }
    }

    @Test
    void killedAfterTheRecordIsWrittenAndBeforeItIsSyncedTheBatchIsDeliveredWholeAfterTheRestart() throws Exception {
        // a process killed after write(): the record is in the file (the page cache outlives the process)
        killAt(PausePoint.COMMIT_WRITTEN + ":2", () -> simulator.setLicenseAssigned("agent1", STATION, false));
        assertThat(of(STATION, "unassigned")).as("not delivered before its commit").isEmpty();

        startJar("second");
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);

        // the record's state is the state now: the next change is a change, the unassignment is not made twice
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertThat(delivered()).hasSize(5);
        assertEveryIdNamesOneChange();
    }

    @Test
    void killedAfterTheCommitAndBeforeTheStateCheckpointTheStateComesFromTheOutbox() throws Exception {
        killAt(PausePoint.COMMIT_QUEUED + ":2", () -> simulator.setLicenseAssigned("agent1", STATION, false));

        startJar("second");
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);
        // the state file still says assigned (the checkpoint never ran); the outbox's record says unassigned
        simulator.setLicenseAssigned("agent1", STATION, true);

        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertThat(delivered()).hasSize(5);
        assertEveryIdNamesOneChange();
    }

    @Test
    void killedDuringASegmentRollOverNothingIsLostOrDoubled() throws Exception {
        // segments of 1 KiB: the first snapshot fills the first, the next commit rolls over
        killAt(PausePoint.ROLL_OVER + ":2", () -> simulator.setLicenseAssigned("agent1", STATION, false),
                "-Dicws.outbox.segment-size-kib=1");

        startJar("second", "-Dicws.outbox.segment-size-kib=1");
        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 1);
        simulator.setLicenseAssigned("agent1", STATION, true);

        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "assigned").size() == 1);
        assertThat(of(STATION, "unassigned")).hasSize(1);
        assertThat(delivered()).hasSize(5);
        assertEveryIdNamesOneChange();
    }

    @Test
    void aStateFolderRefusedWhileChangesWentBothWaysThenAKillGivesTheNextChangeANewId() throws Exception {
        Path stateFolder = tmp.resolve("state");
        JarProcess first = startJar("first");
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
        JarProcess second = startJar("second");
        await().atMost(Duration.ofSeconds(60)).until(() -> second.log().contains("Subscribed to license messages"));
        simulator.setLicenseAssigned("agent1", STATION, false);

        await().atMost(Duration.ofSeconds(60)).until(() -> of(STATION, "unassigned").size() == 2);
        assertThat(of(STATION, "unassigned")).extracting(e -> e.path("id").asText())
                .contains(firstUnassignment).doesNotHaveDuplicates();
        assertThat(delivered()).hasSize(6);
        assertEveryIdNamesOneChange();
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
