package io.icws.licenses.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** One ICWS session: its credentials, message queue and license subscription. Thread-safe. */
final class Session {

    /** Queued once per open stream when the session ends: the stream closes when it takes it. */
    static final Object END = new Object();

    final String id;
    final String csrfToken;
    final String cookieValue;
    final String userId;
    final String language;

    private final LinkedBlockingDeque<Object> queue = new LinkedBlockingDeque<>();
    private final AtomicInteger openStreams = new AtomicInteger();
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
        return openStreams.get() > 0;
    }

    void offer(String json) {
        if (!ended) {
            queue.offerLast(json);
        }
    }

    /** Removes and returns every queued message, in order. */
    List<String> drain() {
        List<Object> taken = new ArrayList<>();
        queue.drainTo(taken);
        List<String> messages = new ArrayList<>(taken.size());
        for (Object o : taken) {
            if (o instanceof String s) {
                messages.add(s);
            }
        }
        return messages;
    }

    /** Next message for a stream: a String, {@link #END}, or null after the timeout. */
    Object take(long timeoutMillis) throws InterruptedException {
        return queue.pollFirst(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Puts back a message a stream could not deliver. */
    void putBack(String json) {
        if (!ended) {
            queue.offerFirst(json);
        }
    }

    void streamOpened() {
        openStreams.incrementAndGet();
    }

    void streamClosed() {
        openStreams.decrementAndGet();
        touch();
    }

    /**
     * Ends the session: open streams receive {@code finalMessage} (if not null), then close.
     *
     * @return false if it had already ended
     */
    boolean end(String finalMessage) {
        synchronized (this) {
            if (ended) {
                return false;
            }
            ended = true;
        }
        int streams = Math.max(1, openStreams.get());
        for (int i = 0; i < streams; i++) {
            if (finalMessage != null) {
                queue.offerLast(finalMessage);
            }
            queue.offerLast(END);
        }
        return true;
    }
}
