package io.icws.licenses.routes;

import io.icws.licenses.icws.IcwsMessages;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.ValueBuilder;
import org.apache.camel.model.language.RefExpression;

/**
 * The route template {@code icws-license-watch}: one connection — one ICWS session of one user — per route
 * made from it (mirrors {@code routes/icws-license-watch.yaml}). Its bean {@code watch} is the connection's own.
 *
 * <p>The {@code icws} consumer logs in, subscribes (at start and on {@code icws.subscribe.cron}), receives by
 * server-sent events or polling, and unsubscribes and logs out when the route stops. It hands the route one
 * exchange per batch (one poll, or one server-sent event) and owns the batch: when the exchange completes, the
 * batch is committed as one outbox record (its events and the state they leave, synced once) and only then
 * delivered; when it fails, nothing of it is kept, a message that does not fit the model goes to the dead
 * letters, and the connection subscribes again (or logs in again), so the next snapshot puts the state right.
 * The route says only what the messages mean: when polling it GETs them with camel-http; then it splits them and
 * sends each by {@code __type}.
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
                    .bean("{{watch}}", "preparePoll")
                    .to("http://icws?httpClientConfigurer=#{{watch}}&throwExceptionOnFailure=false&lazyStartProducer=true")
                    .bean("{{watch}}", "onPolled")
                .end()
                // each message, by __type; the first that fails ends the batch (it is rolled back)
                .split(method("icwsMessages", "split")).stopOnException()
                    .setHeader(IcwsMessages.TYPE_HEADER, new RefExpression(IcwsMessages.TYPE_EXPRESSION_BEAN))
                    .choice()
                        .when(isType(IcwsMessages.LICENSE_MESSAGE))
                            .bean("{{watch}}", "applyLicenseMessage")
                        .when(isType(IcwsMessages.CONNECTION_STATE_CHANGE))
                            .bean("{{watch}}", "connectionStateChanged")
                        .when(isType(IcwsMessages.SUBSCRIPTION_STATE))
                            .bean("{{watch}}", "subscriptionStateChanged")
                        .otherwise()
                            .bean("{{watch}}", "ignored(${header." + IcwsMessages.TYPE_HEADER + "})")
                    .end()
                .end();
    }

    private ValueBuilder isType(String type) {
        return simple("${header." + IcwsMessages.TYPE_HEADER + "} == '" + type + "'");
    }
}
