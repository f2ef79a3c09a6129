package io.icws.licenses.outbox;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness check {@code icws-target-<target>}: DOWN while the target's queue is not draining (its last
 * attempt failed, or the startup check could not reach it), with the last error, the event being retried and
 * the queue depth in its details; UP again once it takes an event.
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
        builder.message("target " + status.target() + " is not taking events (" + status.depth() + " waiting): "
                + status.lastError());
        builder.down();
    }
}
