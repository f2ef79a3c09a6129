package io.icws.licenses.state;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;

import static io.icws.licenses.state.LicenseStateTest.off;
import static io.icws.licenses.state.LicenseStateTest.on;
import static org.assertj.core.api.Assertions.assertThat;

class LicenseStatePersistenceTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T01:30:00.123Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private ListAppender<ILoggingEvent> logs;
    private Logger stateLogger;

    @BeforeEach
    void captureLogs() {
        stateLogger = (Logger) LoggerFactory.getLogger(LicenseState.class);
        logs = new ListAppender<>();
        logs.start();
        stateLogger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        stateLogger.detachAppender(logs);
    }

    @Test
    void missingFileLoadsAsEmptyState() {
        LicenseState state = LicenseState.load(dir.resolve("nope.json"), CLOCK);

        assertThat(state.snapshot()).isEmpty();
        assertThat(logs.list).isEmpty();
    }

    @Test
    void loadingWhatWasSavedGivesEqualSnapshotAndSequences() throws Exception {
        LicenseState state = new LicenseState("127.0.0.1:18018", "agent1");
        state.apply(false, List.of(on("I3_A"), on("I3_B"), off("I3_C")));
        state.apply(true, List.of(off("I3_A")));
        state.apply(false, List.of(off("I3_A"), off("I3_C")));
        Path file = dir.resolve("sub/dir/state.json");

        state.save(file);
        LicenseState loaded = LicenseState.load(file, CLOCK);

        assertThat(loaded.snapshot()).isEqualTo(state.snapshot());
        assertThat(loaded.sequences()).isEqualTo(state.sequences()).containsEntry("I3_A", 2L).containsEntry("I3_B", 1L);
        assertThat(loaded.server()).isEqualTo("127.0.0.1:18018");
        assertThat(loaded.user()).isEqualTo("agent1");
    }

    @Test
    void savedFileIsReadableJsonWithFormatServerAndUser() throws Exception {
        LicenseState state = new LicenseState("srv:8018", "agent1");
        state.apply(false, List.of(on("I3_A")));
        Path file = dir.resolve("state.json");

        state.save(file);
        String text = Files.readString(file);
        JsonNode json = new ObjectMapper().readTree(text);

        assertThat(text).contains("\n  \"format\" : 2");
        assertThat(json.get("format").asInt()).isEqualTo(2);
        assertThat(json.get("epoch").asText()).isEqualTo(state.epoch()).isNotBlank();
        assertThat(json.get("server").asText()).isEqualTo("srv:8018");
        assertThat(json.get("user").asText()).isEqualTo("agent1");
        assertThat(json.get("licenses").get("I3_A").asBoolean()).isTrue();
        assertThat(json.get("sequences").get("I3_A").asLong()).isEqualTo(1);
    }

    @Test
    void theEpochIsKeptAcrossSaveAndLoadAndNewForAFreshState() throws Exception {
        LicenseState state = new LicenseState("s", "u");
        Path file = dir.resolve("state.json");
        state.save(file);

        assertThat(LicenseState.load(file, CLOCK).epoch()).isEqualTo(state.epoch());
        assertThat(new LicenseState("s", "u").epoch()).isNotEqualTo(state.epoch());
        assertThat(LicenseState.load(dir.resolve("missing.json"), CLOCK).epoch()).isNotEqualTo(state.epoch());
    }

    @Test
    void aFormatOneFileIsReadAndGivenAnEpoch() throws Exception {
        Path file = dir.resolve("old.json");
        Files.writeString(file, """
                {"format": 1, "server": "s", "user": "u", "licenses": {"I3_A": true}, "sequences": {"I3_A": 3}}""");

        LicenseState state = LicenseState.load(file, CLOCK);

        assertThat(state.snapshot()).containsEntry("I3_A", true);
        assertThat(state.sequences()).containsEntry("I3_A", 3L);
        assertThat(state.epoch()).isNotBlank();
    }

    @Test
    void atomicSaveLeavesNoTempFiles() throws Exception {
        LicenseState state = new LicenseState("s", "u");
        Path file = dir.resolve("state.json");
        for (int i = 0; i < 5; i++) {
            state.apply(true, List.of(new LicenseStatus("I3_A", i % 2 == 0)));
            state.save(file);
        }

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
        assertThat(LicenseState.load(file, CLOCK).snapshot()).containsEntry("I3_A", true);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{not json",
            "",
            "[1,2]",
            "{\"format\":2,\"licenses\":{},\"sequences\":{}}",
            "{\"licenses\":{},\"sequences\":{}}",
            "{\"format\":1,\"licenses\":{\"I3_A\":\"yes\"},\"sequences\":{\"I3_A\":1}}",
            "{\"format\":1,\"licenses\":{\"I3_A\":true},\"sequences\":{}}",
            "{\"format\":1,\"licenses\":{},\"sequences\":{\"I3_A\":-1}}",
            "{\"format\":1,\"licenses\":[],\"sequences\":{}}",
            "{\"format\":1,\"server\":5,\"licenses\":{},\"sequences\":{}}"})
    void corruptFileIsMovedAsideAndStateStartsFresh(String content) throws Exception {
        Path file = dir.resolve("state.json");
        Files.writeString(file, content, StandardCharsets.UTF_8);

        LicenseState state = LicenseState.load(file, CLOCK);

        Path aside = dir.resolve("state.json.corrupt-20261128T013000Z");
        assertThat(state.snapshot()).isEmpty();
        assertThat(state.sequences()).isEmpty();
        assertThat(file).doesNotExist();
        assertThat(aside).exists().hasContent(content);
        assertThat(logs.list).hasSize(1);
        ILoggingEvent warn = logs.list.get(0);
        assertThat(warn.getLevel()).isEqualTo(Level.WARN);
        assertThat(warn.getFormattedMessage()).contains(file.toString()).contains(aside.toString());
    }

    @Test
    void unreadableFileIsMovedAsideAndStateStartsFresh() throws Exception {
        Path file = dir.resolve("state.json");
        Files.createDirectories(file.resolve("inside"));

        LicenseState state = LicenseState.load(file, CLOCK);

        assertThat(state.snapshot()).isEmpty();
        assertThat(file).doesNotExist();
        assertThat(dir.resolve("state.json.corrupt-20261128T013000Z")).isDirectory();
        assertThat(logs.list).singleElement().satisfies(w -> {
            assertThat(w.getLevel()).isEqualTo(Level.WARN);
            assertThat(w.getFormattedMessage()).contains("unreadable");
        });
    }

    @Test
    void secondCorruptFileInTheSameSecondGetsItsOwnName() throws Exception {
        Path file = dir.resolve("state.json");
        Files.writeString(file, "garbage 1");
        LicenseState.load(file, CLOCK);
        Files.writeString(file, "garbage 2");

        LicenseState.load(file, CLOCK);

        assertThat(dir.resolve("state.json.corrupt-20261128T013000Z")).hasContent("garbage 1");
        assertThat(dir.resolve("state.json.corrupt-20261128T013000Z-1")).hasContent("garbage 2");
    }

    @Test
    void unknownExtraFieldsAreIgnored() throws Exception {
        Path file = dir.resolve("state.json");
        Files.writeString(file, "{\"format\":1,\"comment\":\"hi\",\"licenses\":{\"I3_A\":true},\"sequences\":{\"I3_A\":4,\"I3_GONE\":2}}");

        LicenseState state = LicenseState.load(file, CLOCK);

        assertThat(state.snapshot()).containsOnlyKeys("I3_A");
        assertThat(state.sequences()).containsEntry("I3_A", 4L).containsEntry("I3_GONE", 2L);
        assertThat(file).exists();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc/passwd", "a/b\\c", "nul\u0000byte", "cr\r\nlf", "..", ".", ".hidden", "", "\u00e9\u4e2d\uD83D\uDE00"})
    void stateFileStaysInsideDirectoryForHostileNames(String hostile) {
        for (String[] pair : new String[][] {{hostile, "agent1"}, {"127.0.0.1:18018", hostile}, {hostile, hostile}}) {
            Path file = LicenseState.stateFile(dir, pair[0], pair[1]);

            assertThat(file.getParent()).isEqualTo(dir);
            assertThat(file.normalize()).startsWithRaw(dir);
            assertThat(file.getFileName().toString()).matches("[A-Za-z0-9_][A-Za-z0-9_.-]*-[0-9a-f]{16}\\.json");
        }
    }

    @Test
    void stateFileStaysShortForLongNamesAndDiffersPerServerAndUser() {
        String huge = "x".repeat(10_000);

        Path file = LicenseState.stateFile(dir, huge, huge);

        assertThat(file.getParent()).isEqualTo(dir);
        assertThat(file.getFileName().toString().length()).isLessThan(100);
        assertThat(LicenseState.stateFile(dir, "s", "u")).isEqualTo(LicenseState.stateFile(dir, "s", "u"));
        assertThat(LicenseState.stateFile(dir, "s", "u")).isNotEqualTo(LicenseState.stateFile(dir, "s", "v"));
        assertThat(LicenseState.stateFile(dir, "a_b", "c")).isNotEqualTo(LicenseState.stateFile(dir, "a", "b_c"));
        assertThat(LicenseState.stateFile(dir, "127.0.0.1:18018", "agent1").getFileName().toString())
                .startsWith("127.0.0.1_18018_agent1-");
    }

    @Test
    void stateFileWorksAndWritesForHostileNames() throws Exception {
        Path file = LicenseState.stateFile(dir, "../../etc/passwd\u0000", "\r\nuser/..");
        new LicenseState("x", "y").save(file);

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }
}
