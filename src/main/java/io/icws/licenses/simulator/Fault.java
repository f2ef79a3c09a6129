package io.icws.licenses.simulator;

import java.util.List;

/**
 * A fault injected into the next matching ICWS requests (never into {@code /simulator/} ones).
 *
 * @param status            the HTTP status to answer (e.g. 400, 401, 410, 500, 503), or 0 to only delay the
 *                          request and then answer it normally
 * @param times             how many matching requests get the fault; 0 means 1
 * @param pathContains      only requests whose path contains this substring match; null or empty: all
 * @param alternateHostList host names carried by a 503 error body (ignored for other statuses)
 * @param delayMillis       wait this long before answering (simulates a slow server)
 */
public record Fault(int status, int times, String pathContains, List<String> alternateHostList, long delayMillis) {

    public Fault {
        if (status != 0 && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("status must be 0 or an HTTP status, got " + status);
        }
        if (times < 0) {
            throw new IllegalArgumentException("times must not be negative, got " + times);
        }
        if (delayMillis < 0) {
            throw new IllegalArgumentException("delayMillis must not be negative, got " + delayMillis);
        }
        if (status == 0 && delayMillis == 0) {
            throw new IllegalArgumentException("a fault needs a status or a delay");
        }
        times = times == 0 ? 1 : times;
        pathContains = pathContains == null || pathContains.isEmpty() ? null : pathContains;
        alternateHostList = alternateHostList == null ? List.of() : List.copyOf(alternateHostList);
    }

    /** The next ICWS request answers {@code status}. */
    public static Fault of(int status) {
        return new Fault(status, 1, null, List.of(), 0);
    }

    /** The next {@code times} ICWS requests whose path contains {@code pathContains} answer {@code status}. */
    public static Fault of(int status, int times, String pathContains) {
        return new Fault(status, times, pathContains, List.of(), 0);
    }

    /** The next ICWS request answers 503 with the given alternate hosts. */
    public static Fault unavailable(List<String> alternateHostList) {
        return new Fault(503, 1, null, alternateHostList, 0);
    }

    /** The next ICWS request whose path contains {@code pathContains} is answered normally after a delay. */
    public static Fault delay(long delayMillis, String pathContains) {
        return new Fault(0, 1, pathContains, List.of(), delayMillis);
    }

    boolean matches(String path) {
        return pathContains == null || path.contains(pathContains);
    }
}
