package io.icws.licenses.routes;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;

/**
 * Delivery, shared by every connection (mirrors {@code routes/license-targets.yaml}): each enabled target takes
 * the events of its own outbox queue, oldest first; a target that fails holds back only itself. Events carry
 * {@code source}, {@code user} and {@code license}, so one set of targets serves all connections. Headers are
 * set from sanitised values only: strings from the server are untrusted. A disabled target's route is not made
 * at all (precondition), so a host without camel-jms or camel-mail needs neither.
 */
public class TargetRoutes extends RouteBuilder {

    private static final String REDELIVERY = "?maximumRedeliveries={{icws.notify.redelivery.attempts}}"
            + "&redeliveryDelay={{icws.notify.redelivery.initial-delay}}"
            + "&maximumRedeliveryDelay={{icws.notify.redelivery.max-delay}}";

    @Override
    public void configure() {
        // One INFO line per change.
        from("icws-outbox:log" + REDELIVERY).routeId("notify-log").routeConfigurationId("icws-target")
                .precondition("{{icws.notify.log.enabled}}")
                .log(LoggingLevel.INFO, "io.icws.licenses.changes", "${bean:changeFormats.logLine}");

        // One CloudEvents JSON document per change, written under a temporary name, then renamed; then the files
        // and their folder are forced to disk before the outbox moves past the events (camel-file's forceWrites does
        // neither). Up to icws.notify.file.batch-size pending events come in one exchange (a list): each is written
        // in the split, whose aggregation strategy (fileTargetSync) collects the names written; then all of them are
        // forced at once and the folder once. Each event's document and name are made by one bean call
        // (icwsFileMessages.prepare). An event is a few hundred bytes: a 4 KiB write buffer, not Camel's
        // default 128 KiB.
        from("icws-outbox:file" + REDELIVERY + "&batchSize={{icws.notify.file.batch-size}}").routeId("notify-file")
                .routeConfigurationId("icws-target")
                .precondition("{{icws.notify.file.enabled}}")
                .split(simple("${body}")).stopOnException().aggregationStrategy("fileTargetSync")
                    .bean("icwsFileMessages", "prepare") // the JSON document; its name in CamelFileName
                    .to("file:{{icws.notify.file.directory}}?tempPrefix=.writing-&bufferSize=4096")
                .end()
                .bean("fileTargetSync", "forceAll");

        // A persistent JMS text message per change (the CloudEvents JSON); license, user, changeType and eventId
        // as properties for selectors. Up to icws.notify.jms.batch-size pending events come in one exchange (a list)
        // and are sent in one local JMS transaction (icwsJmsTransaction), committed once: the batch is on the queue
        // whole or not at all. The bean icwsJmsSender sends them all on the transaction's session to
        // icws.notify.jms.destination (one exchange for the batch: a split with a camel-jms "to" per event took twice
        // the time). A broker that is down holds the batch (sent again whole, same ids); a refused batch is sent
        // again one event at a time, so only the event refused goes to the dead letters.
        from("icws-outbox:jms" + REDELIVERY + "&batchSize={{icws.notify.jms.batch-size}}").routeId("notify-jms")
                .routeConfigurationId("icws-target")
                .precondition("{{icws.notify.jms.enabled}}")
                .transacted("icwsJmsTransaction")
                .bean("icwsJmsSender", "send");

        // A plain-text alert for the change types in icws.notify.email.changes.
        from("icws-outbox:email" + REDELIVERY).routeId("notify-email").routeConfigurationId("icws-target")
                .precondition("{{icws.notify.email.enabled}}")
                .filter(method("changeFormats", "emailWanted(${body}, '{{icws.notify.email.changes}}')"))
                    .removeHeaders("*")
                    .setHeader("Subject", method("changeFormats", "emailSubject"))
                    .setBody(method("changeFormats", "emailBody"))
                    .to("smtp://{{icws.notify.email.host}}:{{icws.notify.email.port}}"
                            + "?from=RAW({{icws.notify.email.from}})&to=RAW({{icws.notify.email.to}})"
                            + "&contentType=text/plain; charset=UTF-8"
                            + "&authenticator={{?icws.internal.email-authenticator}}"
                            + "&additionalJavaMailProperties=#icwsMailProperties")
                .end();

        // Dead letters moved into the replay folder go once more to the target that refused them.
        from("file:{{icws.dead-letter.directory}}/replay?include=.*[.]json&delete=true&moveFailed=failed"
                + "&delay=1000").routeId("dead-letter-replay").routeConfigurationId("icws-replay")
                .convertBodyTo(String.class)
                .bean("icwsDeadLetters", "replay");
    }
}
