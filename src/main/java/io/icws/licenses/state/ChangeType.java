package io.icws.licenses.state;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What happened to one license of one user, as seen by the client-side cache. */
public enum ChangeType {
    /** The license was seen for the first time (no previous value in the cache). */
    OBSERVED("observed"),
    /** The license went from not assigned to assigned. */
    ASSIGNED("assigned"),
    /** The license went from assigned to not assigned. */
    UNASSIGNED("unassigned");

    private final String value;

    ChangeType(String value) {
        this.value = value;
    }

    /** The lower-case name used in events, file names and configuration: "observed", "assigned", "unassigned". */
    public String value() {
        return value;
    }

    /**
     * Parses a change type name, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static ChangeType fromValue(String value) {
        if (value != null) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (ChangeType t : values()) {
                if (t.value.equals(v)) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("Unknown license change type '" + value + "'; allowed: " + allowed());
    }

    static String allowed() {
        return Arrays.stream(values()).map(ChangeType::value).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return value;
    }
}
