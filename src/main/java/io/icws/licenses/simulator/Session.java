package io.icws.licenses.simulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One ICWS session: its credentials, message queue, event-stream readers and license subscription. Thread-safe.
 *
 * <p>Message delivery follows one rule, <em>the newest reader gets the messages</em>: each queued message is handed
 * out once. A new event stream ({@link #openStream()}) or a short poll ({@link #drain()}) supersedes every older
 * stream of the session; a superseded stream never takes another message and ends. Whether a stream is still the
 * current reader is checked under the same lock as the take, so the two are atomic.
 *
 * <p>A message written to a stream stays <em>in doubt</em> until a later write on that stream (a message, a
 * keep-alive, a frame, or the last comment a superseded stream writes) succeeds: the first write into a socket whose
 * client has left succeeds (the peer answers it with a reset), only the next one fails. When a write fails, the
 * stream's in-doubt messages (the one being written, and the one of the write before if that was a message) go back
 * to the head of the queue, in order, for the next reader. A new reader waits (at most
 * {@link #HANDOVER_TIMEOUT_NANOS}) until the streams it superseded have settled their in-doubt messages, so put-back
 * messages come first. On a loopback connection the reset comes back within the first write, so nothing written
 * after the client's close reached the server is lost. Not covered: messages that reach the client's socket while
 * it is closing and are never read (all but the last are lost), and, over a slow link, writes made less than a round
 * trip after the client left. {@link #dropStreams()} ends streams the same way as a new reader does.
 */
final class Session {

    /** Returned by {@link #next} when the session has ended and nothing is left for the stream: close it. */
    static final Object END = new Object();
    /** Returned by {@link #next} when a newer stream or a poll took over: write a last comment and close. */
    static final Object SUPERSEDED = new Object();
    static final String SUPERSEDED_COMMENT = "superseded by a newer reader";
    static final String DROPPED_COMMENT = "closed by the simulator";
    /** How long a new reader waits for superseded streams to settle their in-doubt messages. */
    static final long HANDOVER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    final String id;
    final String csrfToken;
    final String cookieValue;
    final String userId;
    final String language;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // all guarded by lock
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final List<Reader> readers = new ArrayList<>(); // open streams, oldest first
    private Reader current; // the stream allowed to take messages, or null
    private int settling; // superseded streams still holding in-doubt messages
    private long handoverDeadline; // System.nanoTime() after which settling streams are no longer waited for

    private volatile long lastUsedNanos = System.nanoTime();
    private volatile boolean ended;

    /** The subscribed licenses in subscription order, or null; guarded by the user's lock. */
    List<String> licenseSubscription;

    Session(String id, String csrfToken, String cookieValue, String userId, String language) {
        this.id = id;
        this.csrfToken = csrfToken;
        this.cookieValue = cookieValue;
        this.userId = userId;
        this.language = language;
    }

    /** One open event stream of the session; its fields are guarded by the session's lock. */
    static final class Reader {
        private volatile String farewell = SUPERSEDED_COMMENT;
        private boolean superseded;
        private boolean settling;
        private final List<String> inDoubt = new ArrayList<>();
        private final ArrayDeque<Frame> frames = new ArrayDeque<>();

        private Reader() {
        }

        /** The last comment of a superseded stream, without {@code ": "}. */
        String farewell() {
            return farewell;
        }
    }

    /** A raw event-stream frame for one stream; {@link #done} completes with whether it was written. */
    static final class Frame {
        final byte[] bytes;
        final CompletableFuture<Boolean> done = new CompletableFuture<>();

        Frame(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    void touch() {
        lastUsedNanos = System.nanoTime();
    }

    long idleNanos() {
        return System.nanoTime() - lastUsedNanos;
    }

    boolean ended() {
        return ended;
    }

    boolean hasOpenStream() {
        lock.lock();
        try {
            return !readers.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Queues a message for the current reader or the next stream or poll. */
    void offer(String json) {
        lock.lock();
        try {
            if (!ended) {
                queue.addLast(json);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A short poll: supersedes every open stream, waits (bounded) for them to settle their in-doubt messages, then
     * removes and returns every queued message, in order.
     */
    List<String> drain() throws InterruptedException {
        lock.lock();
        try {
            supersedeAll(SUPERSEDED_COMMENT);
            while (settling > 0 && !handoverTimedOut()) {
                changed.awaitNanos(handoverDeadline - System.nanoTime());
            }
            List<String> messages = new ArrayList<>(queue);
            queue.clear();
            return messages;
        } finally {
            lock.unlock();
        }
    }

    /** Registers a new event stream as the current reader, superseding every older one. */
    Reader openStream() {
        lock.lock();
        try {
            supersedeAll(SUPERSEDED_COMMENT);
            Reader r = new Reader();
            readers.add(r);
            current = r;
            return r;
        } finally {
            lock.unlock();
        }
    }

    /**
     * What stream {@code r} does next: a message ({@code String}, taken from the queue and now in doubt), a
     * {@link Frame}, {@link #SUPERSEDED}, {@link #END}, or null after {@code timeoutMillis} without any (write a
     * keep-alive).
     */
    Object next(Reader r, long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (true) {
                if (r.superseded || r != current) {
                    return SUPERSEDED;
                }
                Frame frame = r.frames.pollFirst();
                if (frame != null) {
                    return frame;
                }
                boolean handedOver = settling == 0 || handoverTimedOut();
                if (handedOver) {
                    String message = queue.pollFirst();
                    if (message != null) {
                        r.inDoubt.add(message);
                        return message;
                    }
                    if (ended) {
                        return END;
                    }
                }
                if (nanos <= 0) {
                    return null;
                }
                long wait = handedOver ? nanos : Math.min(nanos, Math.max(1, handoverDeadline - System.nanoTime()));
                long before = System.nanoTime();
                changed.awaitNanos(wait);
                nanos -= System.nanoTime() - before;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A write on stream {@code r} succeeded: the messages written before it are delivered. After a message write
     * ({@code message} true) that message stays in doubt until the next write; after any other write none does.
     */
    void wrote(Reader r, boolean message) {
        lock.lock();
        try {
            int keep = message && !r.inDoubt.isEmpty() ? 1 : 0;
            r.inDoubt.subList(0, r.inDoubt.size() - keep).clear();
            if (r.inDoubt.isEmpty()) {
                settle(r);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A write on stream {@code r} failed: its in-doubt messages go back to the head of the queue, in order. */
    void writeFailed(Reader r) {
        lock.lock();
        try {
            putBack(r);
            settle(r);
        } finally {
            lock.unlock();
        }
    }

    /** Stream {@code r} has ended: unregisters it; in-doubt messages (after an unexpected end) are put back. */
    void streamClosed(Reader r) {
        lock.lock();
        try {
            readers.remove(r);
            if (current == r) {
                current = null;
            }
            putBack(r);
            settle(r);
            for (Frame f : r.frames) {
                f.done.complete(false);
            }
            r.frames.clear();
        } finally {
            lock.unlock();
        }
        touch();
    }

    /**
     * Ends every open stream of the session as if superseded (they take no more messages, settle their in-doubt
     * message and close); the session stays.
     *
     * @return the number of streams ended
     */
    int dropStreams() {
        lock.lock();
        try {
            int n = 0;
            for (Reader r : readers) {
                if (!r.superseded) {
                    n++;
                }
            }
            supersedeAll(DROPPED_COMMENT);
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a raw frame for the current stream of the session.
     *
     * @return the frame, or null when no stream is open
     */
    Frame offerFrame(byte[] bytes) {
        lock.lock();
        try {
            if (current == null || ended) {
                return null;
            }
            Frame f = new Frame(bytes);
            current.frames.addLast(f);
            changed.signalAll();
            return f;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the session: the current stream receives what is queued and {@code finalMessage} (if not null), then
     * closes; superseded streams close anyway.
     *
     * @return false if it had already ended
     */
    boolean end(String finalMessage) {
        lock.lock();
        try {
            if (ended) {
                return false;
            }
            ended = true;
            if (finalMessage != null) {
                queue.addLast(finalMessage);
            }
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- under the lock

    private void supersedeAll(String farewell) {
        for (Reader r : readers) {
            if (!r.superseded) {
                r.superseded = true;
                r.farewell = farewell;
                if (!r.inDoubt.isEmpty()) {
                    r.settling = true;
                    settling++;
                    handoverDeadline = System.nanoTime() + HANDOVER_TIMEOUT_NANOS;
                }
            }
        }
        current = null;
        changed.signalAll();
    }

    private boolean handoverTimedOut() {
        if (settling > 0 && System.nanoTime() - handoverDeadline >= 0) {
            // a superseded stream is stuck (e.g. blocked writing to a client that does not read): stop waiting;
            // what it may still put back comes at the head of the queue later
            for (Reader r : readers) {
                r.settling = false;
            }
            settling = 0;
            return true;
        }
        return false;
    }

    private void putBack(Reader r) {
        if (!ended) {
            for (ListIterator<String> it = r.inDoubt.listIterator(r.inDoubt.size()); it.hasPrevious(); ) {
                queue.addFirst(it.previous());
            }
        }
        r.inDoubt.clear();
        changed.signalAll();
    }

    private void settle(Reader r) {
        if (r.settling) {
            r.settling = false;
            settling--;
            changed.signalAll();
        }
    }
}
