package io.icws.licenses.routes;

import io.icws.licenses.icws.IcwsMessages;
import io.icws.licenses.icws.MalformedMessageException;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.ValueBuilder;

/**
 * The route template {@code icws-license-watch}: one connection — one ICWS session of one user — per route
 * made from it (mirrors {@code routes/icws-license-watch.yaml}). Its bean {@code watch} is the connection's own.
 *
 * <p>The {@code icws} consumer logs in, subscribes (at start and on {@code icws.subscribe.cron}), receives by
 * server-sent events or polling, and unsubscribes and logs out when the route stops. The route takes each batch
 * of messages: when polling, it GETs them with camel-http; then it splits them and sends each by
 * {@code __type} (license messages become change events in the outbox; the session's own messages go to the
 * watch; others are counted); at the end it commits the batch: outbox synced, then the state saved. A message
 * that does not fit the model goes to the dead letters; any other failure makes the connection subscribe again
 * (or log in again), so the next snapshot recovers whatever the batch held.
 */
public class LicenseWatchTemplate extends RouteBuilder {

    @Override
    public void configure() {
        routeTemplate("icws-license-watch")
            .templateParameter("connection", null,
                    "Connection id, [a-z0-9][a-z0-9-]*. Its settings are icws.connections.<id>.*; a key it does "
                    + "not give comes from icws.*")
            .templateBean("watch").type("#class:" + LicenseWatch.class.getName()).constructor(0, "{{connection}}").end()
            .from("icws:{{connection}}?watch=#{{watch}}")
                .routeId("icws-watch-{{connection}}").routeConfigurationId("icws-watch")
                // polling: GET the messages queued since the last poll
                .filter(header(LicenseWatch.POLL_HEADER))
                    .doTry()
                        .bean("{{watch}}", "preparePoll")
                        .to("http://icws?httpClientConfigurer=#{{watch}}&throwExceptionOnFailure=false&lazyStartProducer=true")
                        .bean("{{watch}}", "onPolled")
                    .doCatch(Exception.class)
                        .bean("{{watch}}", "receivingFailed")
                        .stop()
                    .end()
                .end()
                // each message, by __type
                .split(method("icwsMessages", "split"))
                    .doTry()
                        .setHeader(IcwsMessages.TYPE_HEADER, method("icwsMessages", "type"))
                        .choice()
                            .when(isType(IcwsMessages.LICENSE_MESSAGE))
                                .bean("{{watch}}", "licenseChanges")
                                .bean("icwsOutbox", "append(${body})")
                            .when(isType(IcwsMessages.CONNECTION_STATE_CHANGE))
                                .bean("{{watch}}", "connectionStateChanged")
                            .when(isType(IcwsMessages.SUBSCRIPTION_STATE))
                                .bean("{{watch}}", "subscriptionStateChanged")
                            .otherwise()
                                .bean("{{watch}}", "ignored(${header." + IcwsMessages.TYPE_HEADER + "})")
                        .end()
                    .endDoTry()
                    .doCatch(MalformedMessageException.class)
                        .bean("{{watch}}", "malformed")
                    .doCatch(Exception.class)
                        .bean("{{watch}}", "receivingFailed")
                    .end()
                .end()
                // the batch is durable: outbox synced, then the state saved
                .doTry()
                    .bean("{{watch}}", "commit")
                .doCatch(Exception.class)
                    .bean("{{watch}}", "receivingFailed")
                .end();
    }

    private ValueBuilder isType(String type) {
        return simple("${header." + IcwsMessages.TYPE_HEADER + "} == '" + type + "'");
    }
}
