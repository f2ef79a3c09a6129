package io.icws.licenses.icws;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff, reset on success: the first wait is the initial delay, each next one doubles,
 * up to the cap. Each wait is spread by up to a tenth either way, so many connections failing together (a
 * server restarting) do not all try again in the same millisecond. Not thread-safe: one per connection,
 * used on its own lane.
 */
final class Backoff {

    private final Duration initial;
    private final Duration max;
    private Duration current;

    Backoff(Duration initial, Duration max) {
        this.initial = initial;
        this.max = max;
    }

    /** The next wait, one step longer than the last. */
    Duration next() {
        current = current == null ? initial : Duration.ofMillis(Math.min(max.toMillis(), current.toMillis() * 2));
        long spread = current.toMillis() / 10;
        long jitter = spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(-spread, spread + 1);
        return Duration.ofMillis(Math.max(0, current.toMillis() + jitter));
    }

    /** True while failing: a wait was taken and nothing succeeded since. */
    boolean active() {
        return current != null;
    }

    void reset() {
        current = null;
    }
}
