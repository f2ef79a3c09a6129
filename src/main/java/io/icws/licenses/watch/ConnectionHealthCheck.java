package io.icws.licenses.watch;

import java.util.Map;

import io.icws.licenses.icws.IcwsConnection;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness check {@code icws-<connection>}: UP only while the connection is logged in, subscribed and
 * receiving, and its state is saved; DOWN otherwise, with the reason (which call, which status) as its message.
 * Its details carry the server, user, receive mode and the connection's counters.
 */
final class ConnectionHealthCheck extends AbstractHealthCheck {

    private final LicenseWatch watch;

    ConnectionHealthCheck(LicenseWatch watch) {
        super("icws", "icws-" + watch.id());
        this.watch = watch;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        IcwsConnection.Status status = watch.status();
        builder.detail("connection", watch.id());
        if (watch.settings() != null) {
            builder.detail("user", watch.settings().user());
        }
        String storeProblem = watch.storeProblem();
        if (storeProblem != null) {
            builder.detail("reason", storeProblem);
            builder.message(storeProblem).down();
            return;
        }
        if (status == null) {
            builder.message("not started").down();
            return;
        }
        builder.detail("state", status.state().name().toLowerCase(java.util.Locale.ROOT));
        builder.detail("server", String.valueOf(status.server()));
        if (status.mode() != null) {
            builder.detail("receive", status.mode() == IcwsConnection.Mode.SSE ? "server-sent events" : "polling");
        }
        builder.detail("changes", watch.changeCount());
        builder.detail("malformed.messages", watch.malformedCount());
        watch.ignoredCounts().forEach((type, n) -> builder.detail("ignored." + type, n));
        String stateProblem = watch.stateProblem();
        if (status.healthy() && stateProblem == null) {
            builder.up();
            return;
        }
        String problem = stateProblem != null ? "license state not saved: " + stateProblem : status.problem();
        builder.detail("reason", problem);
        if (status.problemSince() != null) {
            builder.detail("since", status.problemSince().toString());
        }
        builder.message(problem);
        builder.down();
    }
}
