package io.icws.licenses.routes;

import io.icws.licenses.icws.MalformedMessageException;
import io.icws.licenses.notify.DeadLetters;
import org.apache.camel.builder.RouteConfigurationBuilder;

/**
 * Error handling as configuration, one per kind of route (mirrors {@code routes/icws-error-handling.yaml}):
 * <ul>
 * <li>{@code icws-receive}: the timer and Quartz routes. A malformed answer goes to the dead letters; any
 * other failure goes to {@code icwsConnection.onFailure}, which decides between logging in again, backing
 * off and switching host.</li>
 * <li>{@code icws-message}: one message from the server. Whatever fails, the message is kept whole in the
 * dead letters and the next one is handled.</li>
 * <li>{@code icws-step}: the steps that {@code direct:} joins; failures go up to the route that called.</li>
 * <li>{@code notify-target}: each target; redelivery with exponential backoff, then the dead letters.</li>
 * </ul>
 */
public class IcwsErrorHandling extends RouteConfigurationBuilder {

    @Override
    public void configuration() {
        routeConfiguration("icws-receive")
                .onException(MalformedMessageException.class).handled(true)
                    .setHeader(DeadLetters.ORIGIN_HEADER, constant("icws-messages"))
                    .bean("icwsMessages", "countMalformed")
                    .to("direct:dead-letter")
                .end()
                .onException(Exception.class).handled(true)
                    .bean("icwsConnection", "onFailure(${exception}, ${exchangeProperty.IcwsCall})");

        routeConfiguration("icws-message")
                .onException(Exception.class).handled(true)
                    .setHeader(DeadLetters.ORIGIN_HEADER, constant("icws-message"))
                    .bean("icwsMessages", "countMalformed")
                    .to("direct:dead-letter");

        routeConfiguration("icws-step")
                .errorHandler(noErrorHandler());

        routeConfiguration("notify-target")
                .onException(Exception.class).handled(true)
                    .maximumRedeliveries("{{icws.notify.redelivery.attempts}}")
                    .redeliveryDelay("{{icws.notify.redelivery.initial-delay}}")
                    .maximumRedeliveryDelay("{{icws.notify.redelivery.max-delay}}")
                    .useExponentialBackOff()
                    .retryAttemptedLogLevel(org.apache.camel.LoggingLevel.WARN)
                    .setHeader(DeadLetters.ORIGIN_HEADER, simple("${routeId}"))
                    .to("direct:dead-letter");
    }
}
