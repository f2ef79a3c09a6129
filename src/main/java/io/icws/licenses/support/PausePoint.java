package io.icws.licenses.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Fault injection for the process-level crash tests: with {@code -Dicws.test.pause-at=<point>[:<n>]} and
 * {@code -Dicws.test.pause-file=<path>}, the thread that reaches the named point for the n-th time (default the
 * first) writes the file and stops there for good, so that a test can SIGKILL the process at exactly that step
 * of a commit. Without those properties (always, outside such a test) a point costs one field read.
 */
public final class PausePoint {

    /** After a batch's record is written to the outbox, before it is synced. */
    public static final String COMMIT_WRITTEN = "commit-written";
    /** After a batch is committed and queued for the targets, before the state checkpoint. */
    public static final String COMMIT_QUEUED = "commit-queued";
    /** During a segment roll-over: the new segment is open, the old one not yet let go. */
    public static final String ROLL_OVER = "roll-over";

    private static final String POINT;
    private static final int NTH;
    private static final AtomicInteger REACHED = new AtomicInteger();

    static {
        String at = System.getProperty("icws.test.pause-at");
        if (at == null || at.isBlank()) {
            POINT = null;
            NTH = 0;
        } else {
            int colon = at.indexOf(':');
            POINT = colon < 0 ? at.trim() : at.substring(0, colon).trim();
            NTH = colon < 0 ? 1 : Integer.parseInt(at.substring(colon + 1).trim());
        }
    }

    private PausePoint() {
    }

    /** The given point is reached: stops here for good if a crash test asked for it. */
    public static void reached(String point) {
        if (POINT == null || !POINT.equals(point) || REACHED.incrementAndGet() != NTH) {
            return;
        }
        try {
            Files.writeString(Path.of(System.getProperty("icws.test.pause-file", "icws-paused")), point);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        while (true) {
            LockSupport.park(); // until the test kills the process
        }
    }
}
