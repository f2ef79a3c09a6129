package io.icws.licenses.notify;

import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.support.SafeText;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Builds what each notification target needs from a {@link LicenseChangeEvent} (bean name {@code changeFormats}).
 * Every string that comes from the ICWS server (license names) or from configuration (server, user) is treated as
 * untrusted: file names keep to {@code [A-Za-z0-9_.-]}, header values lose control characters and are bounded.
 *
 * <p>Stateless and thread-safe.
 */
public final class ChangeFormats {

    /** Longest value {@link #headerValue(String)} returns. */
    public static final int HEADER_MAX = 256;
    /** Longest server-provided part of an email subject. */
    public static final int SUBJECT_PART_MAX = 100;
    /** Longest email subject. */
    public static final int SUBJECT_MAX = 249;
    /** Longest license part of a file name. */
    public static final int FILE_LICENSE_MAX = 64;
    /** Longest server-provided value in an email body line. */
    public static final int BODY_VALUE_MAX = 1000;

    private static final int FILE_ID_MAX = 64;
    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * A file name for the event's JSON document: {@code <time>_<license>_<changeType>_<id>.json}, e.g.
     * {@code 20261128T013000.123Z_I3_ACCESS_CLIENT_unassigned_0d6c….json}. The time is the event time in compact UTC
     * form; in the license and id every character outside {@code [A-Za-z0-9_-]} becomes {@code _} (so dots only
     * appear in the time and the extension), the license is cut to 64 characters, the id to 64. The result matches
     * {@code [A-Za-z0-9_.-]+}, never starts with a dot, is a single path element other than {@code .}/{@code ..},
     * and is shorter than 200 characters.
     *
     * @throws IllegalArgumentException when the event is null
     */
    public String fileName(LicenseChangeEvent e) {
        requireEvent(e);
        String name = fileTime(e.time()) + "_" + fileSafe(e.license(), FILE_LICENSE_MAX, "unknown-license") + "_"
                + fileSafe(changeTypeText(e), 16, "unknown") + "_" + fileSafe(e.id(), FILE_ID_MAX, "no-id") + ".json";
        if (name.startsWith(".")) {
            name = "_" + name.substring(1);
        }
        return name;
    }

    /**
     * The JMS property {@code license}: {@link #headerValue(String)} of the event's license. Bound by the body's
     * type (no parameter expression to evaluate per message: the JMS target sets it for every event of a batch).
     *
     * @throws IllegalArgumentException when the event is null
     */
    public String licenseHeader(LicenseChangeEvent e) {
        requireEvent(e);
        return headerValue(e.license());
    }

    /** The JMS property {@code user}: {@link #headerValue(String)} of the event's user; as {@link #licenseHeader}. */
    public String userHeader(LicenseChangeEvent e) {
        requireEvent(e);
        return headerValue(e.user());
    }

    /**
     * The email subject, e.g. {@code ICWS license unassigned: I3_ACCESS_CLIENT for agent1}. Header-safe: no control
     * characters (CR, LF, NUL, …); license and user each cut to 100 characters (ending with {@code …}); at most 249
     * characters in all.
     *
     * @throws IllegalArgumentException when the event is null
     */
    public String emailSubject(LicenseChangeEvent e) {
        requireEvent(e);
        String subject = "ICWS license " + headerValue(changeTypeText(e)) + ": "
                + SafeText.cap(headerValue(orElse(e.license(), "unknown license")), SUBJECT_PART_MAX)
                + " for " + SafeText.cap(headerValue(orElse(e.user(), "unknown user")), SUBJECT_PART_MAX);
        return SafeText.cap(subject, SUBJECT_MAX);
    }

    /**
     * The plain-text email body: what happened, user, license, previous and new state, server, time, event id, and
     * the user's licenses after the change as lines {@code "  I3_X: assigned"} / {@code "  I3_X: not assigned"}.
     * Every server-provided value is shown on one line ({@link SafeText}: control characters, CR and LF included,
     * removed) and cut to 1000 characters, so a license name cannot add a line of its own. Lines end with
     * {@code \n}.
     *
     * @throws IllegalArgumentException when the event is null
     */
    public String emailBody(LicenseChangeEvent e) {
        requireEvent(e);
        LicenseChangeEvent.Data d = e.data();
        String license = bodyValue(orElse(e.license(), "unknown license"));
        String user = bodyValue(orElse(e.user(), "unknown user"));
        String type = changeTypeText(e);
        Boolean assigned = d == null ? null : d.assigned();
        Boolean previous = d == null ? null : d.previouslyAssigned();

        StringBuilder b = new StringBuilder(512);
        switch (type) {
            case "assigned" -> b.append("License ").append(license).append(" was assigned to user ").append(user);
            case "unassigned" -> b.append("License ").append(license).append(" was unassigned from user ").append(user);
            case "observed" -> b.append("License ").append(license).append(" was seen for the first time for user ")
                    .append(user).append(" (").append(state(assigned)).append(')');
            default -> b.append("License ").append(license).append(" changed for user ").append(user);
        }
        b.append(".\n\n");
        line(b, "Change", bodyValue(type));
        line(b, "User", user);
        line(b, "License", license);
        line(b, "Previous state", previous == null ? "unknown (first seen)" : state(previous));
        line(b, "New state", state(assigned));
        line(b, "Server", bodyValue(orElse(e.server(), "unknown")));
        line(b, "Time", bodyValue(orElse(e.time(), "unknown")));
        line(b, "Event id", bodyValue(orElse(e.id(), "unknown")));
        b.append('\n');
        Map<String, Boolean> snapshot = d == null ? null : d.snapshot();
        if (snapshot == null || snapshot.isEmpty()) {
            b.append("Licenses of ").append(user).append(" now: none reported.\n");
        } else {
            b.append("Licenses of ").append(user).append(" now:\n");
            snapshot.forEach((name, value) ->
                    b.append("  ").append(bodyValue(name)).append(": ").append(state(value)).append('\n'));
        }
        return b.toString();
    }

    /** One line for the log target, e.g. {@code ICWS license unassigned: I3_X for agent1 (event 5cfe…)}. */
    public String logLine(LicenseChangeEvent e) {
        return emailSubject(e) + " (event " + headerValue(e.id()) + ")";
    }

    /**
     * Sanitizes a value for a mail header or a JMS string property: removes every control character (C0 including
     * NUL, TAB, CR, LF; DEL; C1), Unicode line/paragraph separators and bidirectional override/isolate characters,
     * and cuts the result to 256 characters (the last being {@code …} when cut; surrogate pairs are kept whole).
     *
     * @return the sanitized value; {@code ""} for null
     */
    public String headerValue(String s) {
        return SafeText.line(s, HEADER_MAX);
    }

    /**
     * Whether the event's change type is one of those listed.
     *
     * @param changesCsv a comma-separated list of change types, e.g. {@code "unassigned"} or
     *                   {@code "assigned, unassigned"}; entries are trimmed and compared ignoring case; empty entries
     *                   are skipped; null or blank lists nothing (false)
     * @throws IllegalArgumentException naming an entry that is not observed, assigned or unassigned (or a null event)
     */
    public boolean emailWanted(LicenseChangeEvent e, String changesCsv) {
        requireEvent(e);
        Set<ChangeType> wanted = parseChanges(changesCsv);
        return wanted.contains(e.changeType());
    }

    /**
     * Parses a comma-separated list of change types (see {@link #emailWanted(LicenseChangeEvent, String)}).
     *
     * @throws IllegalArgumentException naming an entry that is not a change type
     */
    public static Set<ChangeType> parseChanges(String changesCsv) {
        Set<ChangeType> set = EnumSet.noneOf(ChangeType.class);
        if (changesCsv == null) {
            return set;
        }
        for (String part : changesCsv.split(",", -1)) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                set.add(ChangeType.fromValue(p));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("Unknown change type '" + p + "' in list '" + changesCsv
                        + "'; allowed: observed, assigned, unassigned", ex);
            }
        }
        return set;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void requireEvent(LicenseChangeEvent e) {
        if (e == null) {
            throw new IllegalArgumentException("License change event is missing (null)");
        }
    }

    private static String changeTypeText(LicenseChangeEvent e) {
        try {
            return e.changeType().value();
        } catch (RuntimeException ex) {
            return "unknown";
        }
    }

    private static String orElse(String s, String fallback) {
        return s == null || s.isEmpty() ? fallback : s;
    }

    private static String state(Boolean assigned) {
        return assigned == null ? "unknown" : assigned ? "assigned" : "not assigned";
    }

    private static void line(StringBuilder b, String label, String value) {
        b.append(label).append(':').append(" ".repeat(Math.max(1, 15 - label.length()))).append(value).append('\n');
    }

    private static String bodyValue(String s) {
        return SafeText.line(s, BODY_VALUE_MAX);
    }

    private static String fileTime(String time) {
        String quick = fileTimeOfInstantText(time);
        if (quick != null) {
            return quick;
        }
        if (time != null) {
            try {
                return FILE_TIME.format(Instant.parse(time));
            } catch (DateTimeParseException ignored) {
                // fall through: keep what we can of the raw value
            }
        }
        return fileSafe(time, 32, "unknown-time");
    }

    /**
     * {@code 2026-11-28T01:47:10.074Z} (as {@link Instant#toString()} writes an event's time, with 0, 3, 6 or 9
     * fraction digits) as {@code 20261128T014710.074Z}, without a parser (this runs once per event file); null
     * for any other text.
     */
    static String fileTimeOfInstantText(String time) {
        if (time == null || time.length() < 20 || time.length() > 30 || time.charAt(time.length() - 1) != 'Z') {
            return null;
        }
        String layout = "dddd-dd-ddTdd:dd:dd";
        for (int i = 0; i < layout.length(); i++) {
            char c = time.charAt(i);
            if (layout.charAt(i) == 'd' ? c < '0' || c > '9' : c != layout.charAt(i)) {
                return null;
            }
        }
        String fraction = time.substring(19, time.length() - 1);
        if (!fraction.isEmpty() && (fraction.charAt(0) != '.' || fraction.length() < 2
                || !fraction.substring(1).chars().allMatch(c -> c >= '0' && c <= '9'))) {
            return null;
        }
        String millis = (fraction.isEmpty() ? "" : fraction.substring(1)) + "000";
        return new StringBuilder(20).append(time, 0, 4).append(time, 5, 7).append(time, 8, 10).append('T')
                .append(time, 11, 13).append(time, 14, 16).append(time, 17, 19).append('.')
                .append(millis, 0, 3).append('Z').toString();
    }

    /** Keeps {@code [A-Za-z0-9_-]}, replaces everything else (also dots) by {@code _}, cuts to max. */
    private static String fileSafe(String s, int max, String fallback) {
        if (s == null || s.isEmpty()) {
            return fallback;
        }
        StringBuilder b = new StringBuilder(Math.min(max, s.length()));
        for (int i = 0; i < s.length() && b.length() < max; ) {
            int cp = s.codePointAt(i);
            boolean ok = (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')
                    || cp == '_' || cp == '-';
            b.append(ok ? (char) cp : '_');
            i += Character.charCount(cp);
        }
        return b.toString();
    }
}
