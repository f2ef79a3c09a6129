package io.icws.licenses.icws;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.icws.licenses.support.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watchdog for the event streams of every connection of a component: a single periodic task that reads each
 * watched stream's time since its last byte ({@link EventStream#idleNanos()}, a time stamp the stream writes as bytes
 * arrive) and tells the stream's owner, once, when it passed the owner's limit ({@code icws.sse.idle-timeout}). So a
 * byte that arrives (a keep-alive comment) costs a time stamp, not a timer re-armed or a task handed over, and 1,000
 * streams cost one timer, not 1,000.
 *
 * <p>The check runs every quarter of the shortest limit watched, at least every {@value #MAX_PERIOD_MS} ms and at
 * most every {@value #MIN_PERIOD_MS} ms: a silent stream is noticed within its limit plus that period. Thread-safe.
 */
public final class StreamWatchdog {

    static final long MAX_PERIOD_MS = 1000;
    static final long MIN_PERIOD_MS = 50;
    private static final Logger LOG = LoggerFactory.getLogger(StreamWatchdog.class);

    /** One stream watched; {@link #cancel()} when it is closed or replaced. */
    public final class Watch {
        private final LongSupplier idleNanos;
        private final long limitNanos;
        private final Runnable onSilent;

        private Watch(LongSupplier idleNanos, long limitNanos, Runnable onSilent) {
            this.idleNanos = idleNanos;
            this.limitNanos = limitNanos;
            this.onSilent = onSilent;
        }

        /** No longer watched; {@code onSilent} will not run (unless it is running now). */
        public void cancel() {
            watched.remove(this);
        }
    }

    private final ScheduledExecutorService scheduler;
    private final Set<Watch> watched = ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> tick; // guarded by this
    private long periodMs = Long.MAX_VALUE; // guarded by this

    public StreamWatchdog(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * Watches a stream: when it has been silent longer than {@code limit}, {@code onSilent} runs once, on the
     * watchdog's thread (hand the work over; do not block), and the stream is no longer watched.
     *
     * @throws RejectedExecutionException when the scheduler no longer runs tasks (the component is stopping)
     */
    public Watch watch(EventStream stream, Duration limit, Runnable onSilent) {
        return watch(stream::idleNanos, limit, onSilent);
    }

    Watch watch(LongSupplier idleNanos, Duration limit, Runnable onSilent) {
        Watch w = new Watch(idleNanos, limit.toNanos(), onSilent);
        watched.add(w);
        long period = Math.max(MIN_PERIOD_MS, Math.min(MAX_PERIOD_MS, limit.toMillis() / 4));
        synchronized (this) {
            if (period < periodMs) {
                ScheduledFuture<?> previous = tick;
                try {
                    tick = scheduler.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    watched.remove(w);
                    throw e;
                }
                periodMs = period;
                if (previous != null) {
                    previous.cancel(false);
                }
            }
        }
        return w;
    }

    /** How many streams are watched now. */
    public int size() {
        return watched.size();
    }

    void check() {
        for (Watch w : watched) {
            if (w.idleNanos.getAsLong() > w.limitNanos && watched.remove(w)) {
                try {
                    w.onSilent.run();
                } catch (RuntimeException | Error e) {
                    // one owner's failure must not end the checks of every other stream
                    LOG.error("Unexpected failure handling a silent event stream: {}", Failures.describe(e), e);
                }
            }
        }
    }
}
