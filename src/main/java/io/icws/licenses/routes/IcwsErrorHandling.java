package io.icws.licenses.routes;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.apache.camel.model.errorhandler.NoErrorHandlerDefinition;

/**
 * Error handling as configuration (mirrors {@code routes/icws-error-handling.yaml}):
 * <ul>
 * <li>{@code icws-target}: the target routes. No error handler: a failure goes back to the outbox. A target
 * that is down (refused, unreachable, time-out, disk) holds its queue and is tried again until it is back; an
 * event the target refuses is tried again and, after the last try, kept in the dead letters. Each log line
 * names the target, the change and the event.</li>
 * <li>{@code icws-replay}: the route that sends dead letters again. A file that cannot be sent again is moved
 * to {@code replay/failed} with one warning line, no stack trace.</li>
 * </ul>
 * <li>{@code icws-watch}: the route of each connection ({@code icws-license-watch}). No error handler: a failure
 * goes back to the {@code icws} consumer, which rolls the batch back (a dead letter for a malformed message, a
 * new subscription) and logs one line.</li>
 * </ul>
 */
public class IcwsErrorHandling extends RouteConfigurationBuilder {

    @Override
    public void configuration() {
        routeConfiguration("icws-watch")
                .errorHandler(new NoErrorHandlerDefinition());

        routeConfiguration("icws-target")
                .errorHandler(new NoErrorHandlerDefinition());

        routeConfiguration("icws-replay")
                .onException(Exception.class).logStackTrace(false).logExhausted(false)
                    .log(LoggingLevel.WARN, "io.icws.licenses.replay",
                            "Dead letter ${header.CamelFileName} cannot be sent again (${exception.message}); "
                                    + "moved to the folder failed");
    }
}
