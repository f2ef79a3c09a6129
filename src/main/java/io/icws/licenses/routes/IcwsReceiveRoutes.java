package io.icws.licenses.routes;

import org.apache.camel.builder.RouteBuilder;

/**
 * Receiving: the poll loop, the scheduled re-subscription, and the handling of each message
 * (mirrors {@code routes/icws-receive.yaml}).
 */
public class IcwsReceiveRoutes extends RouteBuilder {

    @Override
    public void configure() {
        // Every poll interval: connect when there is no session (after the backoff), subscribe again when
        // the server said the subscription faulted, then fetch the queued messages.
        from("timer:icws-poll?period={{icws.poll.interval}}&delay=0").routeId("icws-poll")
                .routeConfigurationId("icws-receive")
                .filter(method("icwsConnection", "shouldConnect"))
                    .to("direct:icws-connect")
                .end()
                .filter(method("icwsConnection", "needsSubscribe"))
                    .to("direct:icws-subscribe")
                .end()
                .filter(method("icwsConnection", "readyToPoll"))
                    .to("direct:icws-fetch-messages")
                .end();

        // The scheduled re-subscription (stateful: never two at once). A new PUT gives a new isDelta:false
        // snapshot, which adds no event when it matches the state. After a permanent failure (400/410) the
        // firing also lets the poll loop try to log in again: once per firing, not in a storm.
        from("quartz:icws/resubscribe?cron={{icws.subscribe.cron}}&stateful=true").routeId("icws-resubscribe")
                .routeConfigurationId("icws-receive")
                .filter(method("icwsConnection", "onSchedule"))
                    .to("direct:icws-subscribe")
                .end();

        from("direct:icws-fetch-messages").routeId("icws-fetch-messages").routeConfigurationId("icws-step")
                .removeHeaders("*")
                .bean("icwsConnection", "prepareMessages")
                .to("direct:icws-http")
                .bean("icwsConnection", "onResponse")
                .split(method("icwsMessages", "split"))
                    .to("direct:icws-message")
                .end();

        // One message: route by __type. Unknown types are counted and ignored, never an error.
        from("direct:icws-message").routeId("icws-message").routeConfigurationId("icws-message")
                .setHeader("IcwsMessageType", method("icwsMessages", "type"))
                .choice()
                    .when(header("IcwsMessageType").isEqualTo("urn:inin.com:licenses:licenseMessage"))
                        .to("direct:icws-license-message")
                    .when(header("IcwsMessageType").isEqualTo("urn:inin.com:connection:connectionStateChangeMessage"))
                        .bean("icwsConnection", "onConnectionStateChange(${bean:icwsMessages.newConnectionState}, "
                                + "${bean:icwsMessages.reason})")
                    .when(header("IcwsMessageType").isEqualTo("urn:inin.com:messaging:subscriptionStateMessage"))
                        .filter(simple("${bean:icwsMessages.subscriptionError} != ''"))
                            .bean("icwsConnection", "onSubscriptionFault(${bean:icwsMessages.subscriptionError})")
                        .endChoice()
                    .otherwise()
                        .bean("icwsMessages", "ignore(${header.IcwsMessageType})")
                .end();

        // A license message: apply isDelta to the state; each real change becomes one event.
        from("direct:icws-license-message").routeId("icws-license-message").routeConfigurationId("icws-step")
                .setBody(method("icwsMessages", "licenseMessage"))
                .bean("licenseTracker", "apply(${body.delta}, ${body.statuses})")
                .split(body())
                    .to("direct:license-change")
                .end();
    }
}
