package io.icws.licenses.icws;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One watchdog for many streams: one timer whatever their number, each silent stream told once, a stream whose bytes
 * keep coming never. The checks are run by hand here (no waiting on the timer).
 */
class StreamWatchdogTest {

    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    private final StreamWatchdog watchdog = new StreamWatchdog(scheduler);

    StreamWatchdogTest() {
        scheduler.setRemoveOnCancelPolicy(true); // as Camel's scheduled pools do
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void aThousandStreamsCostOneTimer() {
        for (int i = 0; i < 1000; i++) {
            watchdog.watch(() -> 0L, Duration.ofSeconds(60), () -> { });
        }
        assertThat(scheduler.getQueue()).hasSize(1);
        assertThat(watchdog.size()).isEqualTo(1000);
    }

    @Test
    void aShorterLimitChecksMoreOftenStillWithOneTimer() {
        watchdog.watch(() -> 0L, Duration.ofSeconds(60), () -> { });
        assertThat(delayMs()).isBetween(StreamWatchdog.MAX_PERIOD_MS - 200, StreamWatchdog.MAX_PERIOD_MS);
        watchdog.watch(() -> 0L, Duration.ofMillis(400), () -> { });
        assertThat(scheduler.getQueue()).hasSize(1);
        assertThat(delayMs()).isBetween(0L, 100L);
    }

    @Test
    void aSilentStreamIsToldOnceAndALiveOneNever() {
        AtomicLong quietIdle = new AtomicLong();
        AtomicInteger quietTold = new AtomicInteger();
        AtomicInteger liveTold = new AtomicInteger();
        AtomicInteger cancelledTold = new AtomicInteger();
        long limit = Duration.ofSeconds(1).toNanos();
        watchdog.watch(quietIdle::get, Duration.ofSeconds(1), quietTold::incrementAndGet);
        watchdog.watch(() -> 0L, Duration.ofSeconds(1), liveTold::incrementAndGet); // a keep-alive every moment
        StreamWatchdog.Watch cancelled = watchdog.watch(() -> Long.MAX_VALUE, Duration.ofSeconds(1),
                cancelledTold::incrementAndGet);
        cancelled.cancel();

        quietIdle.set(limit); // at the limit: not yet past it
        watchdog.check();
        assertThat(quietTold).hasValue(0);
        quietIdle.set(limit + 1);
        watchdog.check();
        watchdog.check();
        assertThat(quietTold).hasValue(1);
        assertThat(liveTold).hasValue(0);
        assertThat(cancelledTold).hasValue(0);
        assertThat(watchdog.size()).isEqualTo(1); // the live one only
    }

    @Test
    void anOwnerThatFailsDoesNotStopTheOthersChecks() {
        AtomicInteger told = new AtomicInteger();
        watchdog.watch(() -> Long.MAX_VALUE, Duration.ofSeconds(1), () -> {
            throw new IllegalStateException("boom");
        });
        watchdog.watch(() -> Long.MAX_VALUE, Duration.ofSeconds(1), told::incrementAndGet);
        watchdog.check();
        assertThat(told).hasValue(1);
    }

    private long delayMs() {
        // the time left until the next check: at most one period
        return ((java.util.concurrent.ScheduledFuture<?>) scheduler.getQueue().peek()).getDelay(TimeUnit.MILLISECONDS);
    }
}
