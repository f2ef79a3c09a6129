package io.icws.licenses;

import java.util.Map;

import io.icws.licenses.icws.IcwsConnection;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness check {@code icws}: up only while logged in and subscribed and the last ICWS request succeeded;
 * down otherwise, with the reason (which call, which status) as its message and in the details.
 */
public final class IcwsHealthCheck extends AbstractHealthCheck {

    private final IcwsConnection connection;

    public IcwsHealthCheck(IcwsConnection connection) {
        super("icws", "icws");
        this.connection = connection;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        IcwsConnection.Status status = connection.status();
        builder.detail("status", status.name().toLowerCase(java.util.Locale.ROOT));
        builder.detail("server", String.valueOf(connection.currentServer()));
        builder.detail("reason", connection.lastProblem());
        if (connection.healthy()) {
            builder.up();
        } else {
            builder.message(connection.lastProblem());
            builder.down();
        }
    }
}
