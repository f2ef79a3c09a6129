package io.icws.licenses.outbox;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The events one target has yet to take, in log order, and how its delivery goes (for its health check):
 * {@link State#DRAINING}, {@link State#OUTAGE} (the target cannot be reached: the queue holds) or
 * {@link State#RETRYING} (the target refused the head event, which is tried again before the dead letters).
 * The head stays in the queue until {@link #taken(Outbox.Entry, boolean)}: an event leaves only when the target
 * has it, or when it went to the dead letters. A target that takes events in batches gets the oldest few with
 * {@link #nextBatch(int, long, TimeUnit)} and lets them go together with {@link #taken(List)}: one progress write.
 */
public final class TargetQueue {

    private final String target;
    private final TargetProgress progress;
    private final Runnable afterTaken;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Outbox.Entry> pending = new ArrayDeque<>();
    private boolean stopped;
    private long takenSinceCleanup;

    // delivery status, guarded by lock
    private State state = State.DRAINING;
    private String lastError;
    private String failingEvent;
    private Instant failingSince;
    private int attempts;
    private long delivered;
    private long deadLettered;

    /**
     * @param progress   what the target has taken, kept by the store
     * @param afterTaken run now and then after events were taken (the store deletes what every target has)
     */
    TargetQueue(String target, TargetProgress progress, Runnable afterTaken) {
        this.target = target;
        this.progress = progress;
        this.afterTaken = afterTaken;
    }

    public String target() {
        return target;
    }

    void offer(List<Outbox.Entry> entries) {
        lock.lock();
        try {
            boolean added = false;
            for (Outbox.Entry entry : entries) {
                if (entry.isFor(target) && !progress.hasTaken(entry)) {
                    pending.addLast(entry);
                    added = true;
                }
            }
            if (added) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The oldest event not taken yet, waiting up to the timeout for one.
     *
     * @return the event, or null after the timeout or once stopped
     */
    public Outbox.Entry next(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (pending.isEmpty() && !stopped && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return stopped ? null : pending.peekFirst();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The oldest events not taken yet, at most {@code max}, waiting up to the timeout for the first one. No
     * linger: what is pending now, however few.
     *
     * @return the events in log order; empty after the timeout or once stopped
     */
    public List<Outbox.Entry> nextBatch(int max, long timeout, TimeUnit unit) throws InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("a batch holds at least one event, not " + max);
        }
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (pending.isEmpty() && !stopped && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            if (stopped || pending.isEmpty()) {
                return List.of();
            }
            List<Outbox.Entry> batch = new ArrayList<>(Math.min(max, pending.size()));
            Iterator<Outbox.Entry> it = pending.iterator();
            while (it.hasNext() && batch.size() < max) {
                batch.add(it.next());
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to the delay, or less if waiting was stopped meanwhile; true when it was stopped. */
    public boolean pause(long delay, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(delay);
        lock.lock();
        try {
            while (!stopped && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    /** The target's route stops: every wait ends now, and no event is handed out any more. */
    void stopWaiting() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The target has the event (or it went to the dead letters): it leaves the queue and the cursor moves
     * past it.
     */
    public void taken(Outbox.Entry entry, boolean deadLetter) throws IOException {
        took(List.of(entry), deadLetter);
    }

    /**
     * The target has these events, the oldest ones in the queue in their order (a batch from {@link
     * #nextBatch(int, long, TimeUnit)}): they leave the queue together and the progress moves past them, in one
     * write.
     */
    public void taken(List<Outbox.Entry> entries) throws IOException {
        if (!entries.isEmpty()) {
            took(entries, false);
        }
    }

    private void took(List<Outbox.Entry> entries, boolean deadLetter) throws IOException {
        boolean cleanup;
        lock.lock();
        try {
            Iterator<Outbox.Entry> head = pending.iterator();
            for (Outbox.Entry entry : entries) {
                if (!head.hasNext() || head.next() != entry) {
                    throw new IllegalStateException("outbox target " + target + " took an event out of order");
                }
            }
            progress.advance(entries);
            for (int i = 0; i < entries.size(); i++) {
                pending.removeFirst();
            }
            state = State.DRAINING;
            lastError = null;
            attempts = 0;
            failingEvent = null;
            failingSince = null;
            if (deadLetter) {
                deadLettered += entries.size();
            } else {
                delivered += entries.size();
            }
            takenSinceCleanup += entries.size();
            cleanup = pending.isEmpty() || takenSinceCleanup >= 1000;
            if (cleanup) {
                takenSinceCleanup = 0;
            }
        } finally {
            lock.unlock();
        }
        if (cleanup) {
            afterTaken.run();
        }
    }

    /**
     * An attempt to deliver the head failed because the target cannot be reached: the queue holds.
     *
     * @param attempt the failed attempts of this event during this outage
     */
    public void outage(Outbox.Entry entry, String error, int attempt) {
        failed(State.OUTAGE, entry, error, attempt);
    }

    /**
     * The target refused the head event: it is tried again, then goes to the dead letters.
     *
     * @param attempt the refusals of this event so far
     */
    public void refused(Outbox.Entry entry, String error, int attempt) {
        failed(State.RETRYING, entry, error, attempt);
    }

    private void failed(State now, Outbox.Entry entry, String error, int attempt) {
        lock.lock();
        try {
            if (state != now || failingSince == null) {
                failingSince = Instant.now();
            }
            state = now;
            lastError = error;
            failingEvent = entry.event().id();
            attempts = attempt;
        } finally {
            lock.unlock();
        }
    }

    /** The startup check found the target unreachable: an outage, unless a delivery attempt says more. */
    public void unreachable(String error) {
        lock.lock();
        try {
            if (failingEvent == null) {
                if (state != State.OUTAGE || failingSince == null) {
                    failingSince = Instant.now();
                }
                state = State.OUTAGE;
                lastError = error;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The startup check found the target reachable. */
    public void reachable() {
        lock.lock();
        try {
            if (failingEvent == null) {
                state = State.DRAINING;
                lastError = null;
                failingSince = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops every wait and closes the progress (its value stays stored). */
    void close() {
        stopWaiting();
        progress.close();
    }

    /** What the target has taken. */
    TargetProgress progress() {
        return progress;
    }

    /**
     * Drops the queued events of a connection this process no longer owns (they stay stored for its new owner),
     * except the head: it may be under way to the target right now.
     *
     * @return how many were dropped
     */
    int drop(String connection) {
        lock.lock();
        try {
            int before = pending.size();
            Outbox.Entry head = pending.peekFirst();
            pending.removeIf(e -> e != head && java.util.Objects.equals(connection, e.connection()));
            return before - pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** How the target's delivery stands, for its health check. */
    public Status status() {
        lock.lock();
        try {
            return new Status(target, state, pending.size(), lastError, failingEvent, failingSince, attempts,
                    delivered, deadLettered);
        } finally {
            lock.unlock();
        }
    }

    /** How a target's delivery goes. */
    public enum State {
        /** Taking events (or waiting for some): nothing failing now. */
        DRAINING,
        /** The target cannot be reached: the queue holds, the head is tried again until it is back. */
        OUTAGE,
        /** The target refused the head event: it is tried again, then it goes to the dead letters. */
        RETRYING;

        /** {@code draining}, {@code outage}, {@code retrying}: as the health check shows it. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param state        draining, outage or retrying
     * @param depth        events waiting
     * @param lastError    why the last attempt (or the startup check) failed; null while it works
     * @param failingEvent id of the event being retried, or null
     * @param failingSince when the outage (or the retrying of the head) began, or null
     * @param attempts     failed attempts of the event being retried, in this state
     */
    public record Status(String target, State state, int depth, String lastError, String failingEvent,
                         Instant failingSince, int attempts, long delivered, long deadLettered) {

        /** Draining: nothing failing now. */
        public boolean healthy() {
            return state == State.DRAINING;
        }
    }
}
