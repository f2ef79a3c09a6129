package io.icws.licenses.notify;

import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChange;
import io.icws.licenses.state.LicenseChangeEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChangeFormatsTest {

    static final Instant TIME = Instant.parse("2026-11-28T01:30:00.123Z");
    static final String EVIL_HEADER = "\r\nBcc: evil@example.com";
    final ChangeFormats formats = new ChangeFormats();

    static LicenseChangeEvent event(String server, String user, String license, ChangeType type) {
        Boolean previous = switch (type) {
            case OBSERVED -> null;
            case ASSIGNED -> false;
            case UNASSIGNED -> true;
        };
        Map<String, Boolean> snapshot = new TreeMap<>();
        snapshot.put(license, type != ChangeType.UNASSIGNED);
        snapshot.put("I3_LICENSE_BASIC_STATION", true);
        return LicenseChangeEvent.of("epoch-1", server, user,
                new LicenseChange(license, type, type != ChangeType.UNASSIGNED, previous, 2), snapshot, TIME);
    }

    static LicenseChangeEvent unassigned(String license) {
        return event("127.0.0.1:18018", "agent1", license, ChangeType.UNASSIGNED);
    }

    static Stream<String> hostileLicenses() {
        return Stream.of("../../x", "a/b", "..", ".", ".hidden", "nul\u0000byte", EVIL_HEADER, "x".repeat(10_000),
                "\\..\\windows", "\u00e9\u4e2d\uD83D\uDE00", "", "\u202Egpj.exe", "line\u2028break");
    }

    // ------------------------------------------------------------------------------------------------ fileName

    @Test
    void fileNameHasCompactTimeLicenseChangeTypeAndId() {
        LicenseChangeEvent e = unassigned("I3_ACCESS_CLIENT");

        assertThat(formats.fileName(e)).isEqualTo("20261128T013000.123Z_I3_ACCESS_CLIENT_unassigned_" + e.id() + ".json");
    }

    @ParameterizedTest
    @MethodSource("hostileLicenses")
    void fileNameIsSafeForHostileLicenses(String license) {
        String name = formats.fileName(unassigned(license));

        assertThat(name).matches("[A-Za-z0-9_.-]+").doesNotStartWith(".").doesNotContain("..").hasSizeLessThan(200);
        Path folder = Path.of("/data/out");
        Path resolved = folder.resolve(name);
        assertThat(resolved.getParent()).isEqualTo(folder);
        assertThat(resolved.normalize()).isEqualTo(resolved);
    }

    @Test
    void fileNameCapsLongLicenseAndStaysDistinctPerEvent() {
        LicenseChangeEvent a = unassigned("x".repeat(10_000));
        LicenseChangeEvent b = event("127.0.0.1:18018", "agent2", "x".repeat(10_000), ChangeType.UNASSIGNED);

        assertThat(formats.fileName(a)).contains("_" + "x".repeat(64) + "_").doesNotContain("x".repeat(65));
        assertThat(formats.fileName(a)).isNotEqualTo(formats.fileName(b));
    }

    @Test
    void fileNameSurvivesAHandMadeEventWithOddFields() {
        LicenseChangeEvent odd = new LicenseChangeEvent("1.0", "../../id", "s", "io.icws.license.assigned",
                ".not a time", "application/json", null);

        assertThat(formats.fileName(odd)).matches("[A-Za-z0-9_.-]+").doesNotStartWith(".").doesNotContain("/")
                .endsWith("_unknown-license_assigned_______id.json");
    }

    // ------------------------------------------------------------------------------------------------ email subject

    @Test
    void emailSubjectNamesChangeLicenseAndUser() {
        assertThat(formats.emailSubject(unassigned("I3_ACCESS_CLIENT")))
                .isEqualTo("ICWS license unassigned: I3_ACCESS_CLIENT for agent1");
        assertThat(formats.emailSubject(event("s", "agent1", "I3_A", ChangeType.OBSERVED)))
                .isEqualTo("ICWS license observed: I3_A for agent1");
    }

    @ParameterizedTest
    @MethodSource("hostileLicenses")
    void emailSubjectIsHeaderSafeAndBoundedForHostileLicenses(String license) {
        String subject = formats.emailSubject(event("srv", "user" + EVIL_HEADER + "x".repeat(5000), license,
                ChangeType.UNASSIGNED));

        assertThat(subject).doesNotContain("\r", "\n", "\u0000", "\u202E", "\u2028").hasSizeLessThan(250);
        assertThat(subject.chars()).noneMatch(Character::isISOControl);
    }

    @Test
    void emailSubjectInjectionAttemptStaysOnOneLine() {
        String subject = formats.emailSubject(unassigned("I3_A" + EVIL_HEADER));

        assertThat(subject).isEqualTo("ICWS license unassigned: I3_ABcc: evil@example.com for agent1");
    }

    @Test
    void emailSubjectCutsLongPartsWithAnEllipsis() {
        String subject = formats.emailSubject(event("s", "u".repeat(500), "L".repeat(500), ChangeType.ASSIGNED));

        assertThat(subject).isEqualTo("ICWS license assigned: " + "L".repeat(99) + "\u2026 for " + "u".repeat(99) + "\u2026");
    }

    // ------------------------------------------------------------------------------------------------ email body

    @Test
    void emailBodyTellsWhatHappenedAndListsTheSnapshot() {
        LicenseChangeEvent e = unassigned("I3_ACCESS_CLIENT");

        String body = formats.emailBody(e);

        assertThat(body).startsWith("License I3_ACCESS_CLIENT was unassigned from user agent1.\n")
                .contains("User:           agent1\n")
                .contains("License:        I3_ACCESS_CLIENT\n")
                .contains("Previous state: assigned\n")
                .contains("New state:      not assigned\n")
                .contains("Server:         127.0.0.1:18018\n")
                .contains("Time:           2026-11-28T01:30:00.123Z\n")
                .contains("Event id:       " + e.id() + "\n")
                .endsWith("now:\n  I3_ACCESS_CLIENT: not assigned\n  I3_LICENSE_BASIC_STATION: assigned\n");
    }

    @Test
    void emailBodyOfObservedSaysFirstSeen() {
        String body = formats.emailBody(event("s", "agent1", "I3_A", ChangeType.OBSERVED));

        assertThat(body).startsWith("License I3_A was seen for the first time for user agent1 (assigned).")
                .contains("Previous state: unknown (first seen)\n");
    }

    @Test
    void emailBodyShowsEveryServerValueOnOneLineSoNoLineCanBeForged() {
        String body = formats.emailBody(event("srv\u0000\u0007", "agent1", "x\r\nNew state: assigned\u001b[31m",
                ChangeType.UNASSIGNED));

        assertThat(body).doesNotContain("\u0000", "\u0007", "\u001b", "\r").contains("License:        xNew state: assigned[31m\n");
        assertThat(body.lines()).noneMatch(line -> line.startsWith("New state: assigned"));
        assertThat(body.lines().filter(line -> line.startsWith("New state:"))).containsExactly("New state:      not assigned");
        assertThat(body.chars()).noneMatch(c -> c != '\n' && Character.isISOControl(c));
    }

    @Test
    void emailBodyBoundsHugeValues() {
        String body = formats.emailBody(unassigned("x".repeat(10_000)));

        assertThat(body).doesNotContain("x".repeat(1001)).hasSizeLessThan(6000);
    }

    // ------------------------------------------------------------------------------------------------ headerValue

    @Test
    void headerValueStripsControlCharactersAndCapsAt256() {
        assertThat(formats.headerValue("a\u0000b\r\nc\td\u007f\u0085e\u2028f")).isEqualTo("abcdef");
        assertThat(formats.headerValue(null)).isEmpty();
        assertThat(formats.headerValue("I3_ACCESS_CLIENT")).isEqualTo("I3_ACCESS_CLIENT");
        String capped = formats.headerValue("y".repeat(10_000));
        assertThat(capped).hasSize(256).endsWith("\u2026");
        assertThat(formats.headerValue("z".repeat(256))).isEqualTo("z".repeat(256));
    }

    @Test
    void theJmsLicenseAndUserPropertiesAreTheSanitisedLicenseAndUser() {
        LicenseChangeEvent e = LicenseChangeEvent.of("epoch", "srv:8019", "agent\r\n1",
                new io.icws.licenses.state.LicenseChange("I3_\u0000A", io.icws.licenses.state.ChangeType.UNASSIGNED,
                        false, true, 1), java.util.Map.of("I3_\u0000A", false), java.time.Instant.parse("2026-11-28T01:30:00Z"));
        assertThat(formats.licenseHeader(e)).isEqualTo(formats.headerValue(e.license())).isEqualTo("I3_A");
        assertThat(formats.userHeader(e)).isEqualTo(formats.headerValue(e.user())).isEqualTo("agent1");
    }

    @Test
    void headerValueNeverSplitsASurrogatePair() {
        String value = formats.headerValue("a".repeat(254) + "\uD83D\uDE00" + "b");

        assertThat(value).isEqualTo("a".repeat(254) + "\u2026");
    }

    // ------------------------------------------------------------------------------------------------ emailWanted

    @Test
    void emailWantedMatchesTheListedChangeTypes() {
        LicenseChangeEvent unassigned = unassigned("I3_A");
        LicenseChangeEvent assigned = event("s", "u", "I3_A", ChangeType.ASSIGNED);
        LicenseChangeEvent observed = event("s", "u", "I3_A", ChangeType.OBSERVED);

        assertThat(formats.emailWanted(unassigned, "unassigned")).isTrue();
        assertThat(formats.emailWanted(assigned, "unassigned")).isFalse();
        assertThat(formats.emailWanted(assigned, " Assigned , UNASSIGNED ")).isTrue();
        assertThat(formats.emailWanted(observed, "assigned,unassigned")).isFalse();
        assertThat(formats.emailWanted(observed, "observed,assigned,unassigned,")).isTrue();
        assertThat(formats.emailWanted(unassigned, "")).isFalse();
        assertThat(formats.emailWanted(unassigned, null)).isFalse();
    }

    @Test
    void emailWantedRejectsAnUnknownChangeTypeNamingIt() {
        assertThatThrownBy(() -> formats.emailWanted(unassigned("I3_A"), "unassigned, removed"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'removed'")
                .hasMessageContaining("observed, assigned, unassigned");
    }

    @Test
    void nullEventIsRejected() {
        assertThatThrownBy(() -> formats.fileName(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> formats.emailSubject(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> formats.emailBody(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> formats.emailWanted(null, "assigned")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFileTimeWithoutAParserIsWhatTheFormatterWrites() {
        java.time.format.DateTimeFormatter formatter = java.time.format.DateTimeFormatter
                .ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 2_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextInt(2_000_000_000), switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            });
            assertThat(ChangeFormats.fileTimeOfInstantText(t.toString())).as(t.toString()).isEqualTo(formatter.format(t));
        }
        for (String other : new String[] {null, "", "yesterday", "2026-11-28T01:47:10+02:00", "2026-11-28T01:47:10.Z",
                "2026-11-28 01:47:10Z", "2026-11-28T01:47:1xZ", "2026-11-28T01:47:10.07aZ", "+12026-11-28T01:47:10Z"}) {
            assertThat(ChangeFormats.fileTimeOfInstantText(other)).as(other).isNull();
        }
    }
}
