package io.icws.licenses.routes;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;

/**
 * Fan-out of each license change event to the targets, each optional (mirrors
 * {@code routes/license-notify.yaml}). The targets run in parallel so a target that is down and being
 * redelivered to does not hold the others back. Headers are cleared before every sink and set from
 * sanitised values only: strings from the server are untrusted.
 */
public class LicenseChangeRoutes extends RouteBuilder {

    @Override
    public void configure() {
        from("direct:license-change").routeId("license-change").routeConfigurationId("icws-step")
                .setProperty("IcwsChangeEvent", body())
                .multicast().parallelProcessing()
                    .to("direct:notify-log", "direct:notify-file", "direct:notify-jms", "direct:notify-email")
                .end();

        from("direct:notify-log").routeId("notify-log").routeConfigurationId("notify-target")
                .filter(simple("{{icws.notify.log.enabled}}"))
                    .log(LoggingLevel.INFO, "io.icws.licenses.changes",
                            "${bean:changeFormats.emailSubject} (event ${body.id})")
                .end();

        // One CloudEvents JSON document per change, written under a temporary name, then renamed.
        from("direct:notify-file").routeId("notify-file").routeConfigurationId("notify-target")
                .filter(simple("{{icws.notify.file.enabled}}"))
                    .removeHeaders("*")
                    .setHeader("CamelFileName", method("changeFormats", "fileName"))
                    .marshal().json()
                    .to("file:{{icws.notify.file.directory}}?tempPrefix=.writing-")
                .end();

        // Persistent JMS message; license, user and changeType as properties for selectors.
        from("direct:notify-jms").routeId("notify-jms").routeConfigurationId("notify-target")
                .filter(simple("{{icws.notify.jms.enabled}}"))
                    .removeHeaders("*")
                    .setHeader("license", method("changeFormats", "headerValue(${body.data.license})"))
                    .setHeader("user", method("changeFormats", "headerValue(${body.data.user})"))
                    .setHeader("changeType", simple("${body.data.changeType}"))
                    .marshal().json()
                    .to("jms:queue:{{icws.notify.jms.destination}}?connectionFactory=#icwsJmsConnectionFactory"
                            + "&deliveryPersistent=true&jmsMessageType=Text")
                .end();

        // Plain-text alert for the change types in icws.notify.email.changes.
        from("direct:notify-email").routeId("notify-email").routeConfigurationId("notify-target")
                .filter(simple("{{icws.notify.email.enabled}}"))
                .filter(method("changeFormats", "emailWanted(${body}, '{{icws.notify.email.changes}}')"))
                    .removeHeaders("*")
                    .setHeader("Subject", method("changeFormats", "emailSubject"))
                    .setBody(method("changeFormats", "emailBody"))
                    .to("smtp://{{icws.notify.email.host}}:{{icws.notify.email.port}}"
                            + "?from={{icws.notify.email.from}}&to={{icws.notify.email.to}}"
                            + "&contentType=text/plain; charset=UTF-8"
                            + "&authenticator={{?icws.internal.email-authenticator}}"
                            + "&additionalJavaMailProperties=#icwsMailProperties")
                .end();

        // Whatever could not be handled, kept whole with the reason.
        from("direct:dead-letter").routeId("dead-letter").routeConfigurationId("icws-step")
                .bean("deadLetters", "envelope")
                .to("file:{{icws.dead-letter.directory}}?tempPrefix=.writing-")
                .log(LoggingLevel.WARN, "Dead letter written: ${header.CamelFileNameProduced}");
    }
}
