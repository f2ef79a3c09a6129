package io.icws.licenses.routes;

import io.icws.licenses.notify.ChangeFilter;
import org.apache.camel.builder.RouteBuilder;

/**
 * The route template {@code icws-endpoint-target}: any Camel endpoint as a target, with the outbox's guarantees
 * (mirrors {@code routes/endpoint-targets.yaml}). Each route made from it is one more target: its own outbox queue
 * and cursor, in order, at least once with the event's id, an outage held, a refusal to the dead letters after the
 * tries, health check {@code icws-target-<name>}, replay. Its bean {@code changeFilter} is the target's own.
 *
 * <p>Made from settings by {@link EndpointTargetRoutes} (route id {@code notify-<name>}), or by you with
 * {@code TemplatedRouteBuilder.builder(context, "icws-endpoint-target")}.
 *
 * <p>The event goes as a CloudEvent (the CloudEvents HTTP binding; other components map the headers their own
 * way): <i>structured</i>, the event JSON as the body with {@code Content-Type: application/cloudevents+json;
 * charset=UTF-8}; <i>binary</i>, the {@code data} object as the body ({@code application/json}) and the
 * attributes as {@code ce-*} headers. Every header the message had is removed first, so nothing of Camel's leaks
 * to the endpoint; values from the server are sanitised ({@code changeFormats.headerValue}). An http(s) answer
 * other than 2xx fails the send (camel-http's {@code HttpOperationFailedException}): 5xx, 408, 429 and a
 * connection refused or timed out are an outage, any other a refusal
 * ({@link io.icws.licenses.outbox.TargetFailures}).
 */
public class EndpointTargetTemplate extends RouteBuilder {

    /** The id of the route template. */
    public static final String TEMPLATE = "icws-endpoint-target";

    @Override
    public void configure() {
        routeTemplate(TEMPLATE)
            .templateParameter("name", null, "Target name, [a-z0-9][a-z0-9-]*, not log, file, jms or email: its "
                    + "outbox queue and cursor, health check icws-target-<name>, dead letters")
            .templateParameter("uri", null, "Any Camel endpoint URI; its component must be on the classpath. Keep "
                    + "secrets out of it with {{env:…}} / {{sys:…}} placeholders, RAW(…) or a #bean reference")
            .templateParameter("changes", "observed,assigned,unassigned",
                    "Which changes the target gets: a comma list of observed, assigned, unassigned")
            .templateParameter("cloudEventsMode", "structured",
                    "structured (the event JSON as the body) or binary (ce-* headers, data as the body)")
            .templateParameter("maximumRedeliveries", "{{icws.notify.redelivery.attempts}}",
                    "Tries after the first before a refused event goes to the dead letters (an outage is waited "
                    + "for without end)")
            .templateParameter("redeliveryDelay", "{{icws.notify.redelivery.initial-delay}}",
                    "Wait before the first redelivery (ms, or 1s, 1m), doubled for each one after")
            .templateParameter("maximumRedeliveryDelay", "{{icws.notify.redelivery.max-delay}}",
                    "Longest wait between redeliveries, and between attempts in an outage (ms, or 30s, 1m)")
            .templateBean("changeFilter").type("#class:" + ChangeFilter.class.getName())
                    .constructor(0, "{{changes}}").end()
            .from("icws-outbox:{{name}}?maximumRedeliveries={{maximumRedeliveries}}"
                    + "&redeliveryDelay={{redeliveryDelay}}&maximumRedeliveryDelay={{maximumRedeliveryDelay}}")
                .routeId("notify-{{name}}").routeConfigurationId("icws-target")
                .filter(method("{{changeFilter}}", "matches"))
                    .removeHeaders("*")
                    .choice()
                        .when(simple("'{{cloudEventsMode}}' == 'binary'"))
                            .setHeader("ce-specversion", simple("${body.specversion}"))
                            .setHeader("ce-id", method("changeFormats", "headerValue(${body.id})"))
                            .setHeader("ce-source", method("changeFormats", "headerValue(${body.source})"))
                            .setHeader("ce-type", method("changeFormats", "headerValue(${body.type})"))
                            .setHeader("ce-time", method("changeFormats", "headerValue(${body.time})"))
                            .setBody(simple("${body.data}"))
                            .marshal().json()
                            .setHeader("Content-Type", constant("application/json"))
                        .otherwise()
                            .marshal().json()
                            // after the marshal, which sets its own Content-Type
                            .setHeader("Content-Type", constant("application/cloudevents+json; charset=UTF-8"))
                    .end()
                    .to("{{uri}}")
                .end();
    }
}
