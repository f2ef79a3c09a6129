package io.icws.licenses.outbox;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness check {@code icws-target-<target>}: DOWN while the target's queue is not draining — in an
 * {@code outage} (its last attempt could not reach it, or the startup check could not) or {@code retrying} an
 * event it refused — with the state, the last error, since when, the event being retried and the queue depth in
 * its details; UP again once it takes an event (or the refused one went to the dead letters).
 */
final class TargetHealthCheck extends AbstractHealthCheck {

    private final TargetQueue queue;

    TargetHealthCheck(TargetQueue queue) {
        super("icws", "icws-target-" + queue.target());
        this.queue = queue;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        TargetQueue.Status status = queue.status();
        builder.detail("target", status.target());
        builder.detail("state", status.state().label());
        builder.detail("queue.depth", status.depth());
        builder.detail("delivered", status.delivered());
        builder.detail("dead.letters", status.deadLettered());
        if (status.healthy()) {
            builder.up();
            return;
        }
        builder.detail("last.error", status.lastError());
        if (status.failingEvent() != null) {
            builder.detail("failing.event", status.failingEvent());
            builder.detail("attempts", status.attempts());
        }
        if (status.failingSince() != null) {
            builder.detail("failing.since", status.failingSince().toString());
        }
        String what = status.state() == TargetQueue.State.OUTAGE
                ? "cannot be reached, its queue holds"
                : "refuses event " + status.failingEvent() + ", trying it again before the dead letters";
        builder.message("target " + status.target() + " " + what + " (" + status.depth() + " waiting"
                + (status.failingSince() != null ? ", since " + status.failingSince() : "") + "): "
                + status.lastError());
        builder.down();
    }
}
