package io.icws.licenses.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.icws.licenses.simulator.RecordedRequest;
import jakarta.mail.internet.MimeMessage;
import jakarta.jms.Message;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One behaviour, two DSLs, two receive modes: the subclasses run every test against the YAML routes and the
 * Java routes, receiving by server-sent events and by polling.
 * Everything is real and on loopback: the ICWS simulator over HTTP, the embedded Artemis broker, GreenMail
 * for SMTP, a temp folder for files. "Exactly one" is proven without sleeping: after the change under test
 * a later sentinel change is made and awaited; events are handled in order, so a duplicate of the first
 * would have arrived before it.
 */
abstract class LicenseRoutesAcceptanceTest extends RoutesTestSupport {

    @Test
    void startupSnapshotGivesOneObservedEventPerLicense() throws Exception {
        routes.start();

        JsonNode client = routes.awaitFileEvent(CLIENT, "observed");
        routes.awaitFileEvent(STATION, "observed");
        routes.awaitFileEvent(FEEDBACK, "observed");

        assertThat(client.path("specversion").asText()).isEqualTo("1.0");
        assertThat(client.path("type").asText()).isEqualTo("io.icws.license.observed");
        assertThat(client.path("source").asText()).isEqualTo("icws://" + routes.simulator.baseUri().getAuthority() + "/agent1");
        assertThat(client.path("datacontenttype").asText()).isEqualTo("application/json");
        assertThat(client.path("data").path("assigned").asBoolean()).isTrue();
        assertThat(client.path("data").path("previouslyAssigned").isNull()).isTrue();
        assertThat(client.path("data").path("snapshot").path(FEEDBACK).asBoolean(true)).isFalse();
        assertThat(routes.fileEvents()).hasSize(3);

        List<Message> jms = routes.receiveJmsUntil(FEEDBACK, "observed");
        assertThat(jms).extracting(m -> m.getStringProperty("license")).containsExactly(CLIENT, STATION, FEEDBACK);
        assertThat(jms).allSatisfy(m -> assertThat(m.getStringProperty("user")).isEqualTo("agent1"));
        assertThat(jms.get(0).getJMSDeliveryMode()).isEqualTo(jakarta.jms.DeliveryMode.PERSISTENT);
        assertThat(routes.json(jms.get(0)).path("id").asText()).isEqualTo(client.path("id").asText());
        assertThat(jms.get(0).getStringProperty("eventId")).isEqualTo(client.path("id").asText());
        // observed is not mailed by default (icws.notify.email.changes=unassigned): a later unassignment is the
        // first and only mail, and the email target takes events in order
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length >= 1);
        assertThat(smtp.getReceivedMessages()).singleElement()
                .satisfies(mail -> assertThat(mail.getSubject()).contains("unassigned").contains(CLIENT));
    }

    @Test
    void unassignmentGivesExactlyOneUnassignedEventInFileJmsAndEmail() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.receiveJmsUntil(FEEDBACK, "observed");

        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        JsonNode event = routes.awaitFileEvent(STATION, "unassigned");
        // sentinel: a later change, awaited everywhere
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");

        assertThat(routes.fileEvents(STATION, "unassigned")).hasSize(1);
        assertThat(event.path("type").asText()).isEqualTo("io.icws.license.unassigned");
        assertThat(event.path("data").path("assigned").asBoolean(true)).isFalse();
        assertThat(event.path("data").path("previouslyAssigned").asBoolean(false)).isTrue();

        List<Message> jms = routes.receiveJmsUntil(CLIENT, "unassigned");
        assertThat(jms).extracting(m -> m.getStringProperty("license") + "/" + m.getStringProperty("changeType"))
                .containsExactly(STATION + "/unassigned", CLIENT + "/unassigned");
        assertThat(routes.json(jms.get(0)).path("id").asText()).isEqualTo(event.path("id").asText());

        await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length >= 2);
        MimeMessage[] mails = smtp.getReceivedMessages();
        assertThat(mails).hasSize(2);
        assertThat(mails[0].getSubject()).contains(STATION).contains("unassigned").contains("agent1");
        assertThat(mails[0].getAllRecipients()[0].toString()).isEqualTo("alerts+icws@example.com");
        assertThat(mails[0].getFrom()[0].toString()).isEqualTo("icws@example.com");
        assertThat(mails[0].getContentType()).startsWith("text/plain");
        assertThat(mails[0].getContent().toString()).contains(STATION).contains(event.path("id").asText());
    }

    @Test
    void reassignmentGivesAssignedEventInFileAndJmsButNoEmailByDefault() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.setLicenseAssigned("agent1", FEEDBACK, true);
        JsonNode event = routes.awaitFileEvent(FEEDBACK, "assigned");
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");
        await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length >= 1);

        assertThat(event.path("data").path("previouslyAssigned").asBoolean(true)).isFalse();
        assertThat(routes.fileEvents(FEEDBACK, "assigned")).hasSize(1);
        List<Message> jms = routes.receiveJmsUntil(CLIENT, "unassigned");
        assertThat(jms).extracting(m -> m.getStringProperty("license") + "/" + m.getStringProperty("changeType"))
                .contains(FEEDBACK + "/assigned");
        // only the sentinel's unassignment was mailed
        assertThat(smtp.getReceivedMessages()).hasSize(1);
        assertThat(smtp.getReceivedMessages()[0].getSubject()).contains(CLIENT);
    }

    @Test
    void foreignMessageTypeChangesNothingAndIsCounted() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:status:userStatusMessage\",\"isDelta\":true}");
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");

        assertThat(routes.fileEvents()).hasSize(4);
        assertThat(routes.watch().ignoredCounts()).containsEntry("urn:inin.com:status:userStatusMessage", 1L);
        assertThat(routes.deadLetterDocuments()).isEmpty();
    }

    @Test
    void malformedLicenseMessageGoesWholeToDeadLettersAndPollingGoesOn() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        String malformed = "{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":true,"
                + "\"licenseAssignedStatusList\":\"not a list\"}";
        routes.simulator.queueMessage("agent1", malformed);
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");
        // the batch was rolled back and the subscription made again: its snapshot puts the state right at once,
        // not at the next scheduled subscription
        await().atMost(Duration.ofSeconds(10))
                .until(() -> routes.requestCount("PUT", "/messaging/subscriptions/licenses") >= 2);

        await().atMost(Duration.ofSeconds(10)).until(() -> Files.isDirectory(routes.deadLetters)
                && Files.list(routes.deadLetters).anyMatch(f -> f.toString().endsWith(".json")));
        Path letter;
        try (var files = Files.list(routes.deadLetters)) {
            letter = files.filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow();
        }
        JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(letter.toFile());
        assertThat(doc.path("origin").asText()).isEqualTo("icws-message");
        assertThat(doc.path("reason").asText()).contains("licenseAssignedStatusList");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(doc.path("content").asText()))
                .isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(malformed));
        assertThat(routes.fileEvents()).hasSize(4);
    }

    @Test
    void scheduledResubscriptionPutsAgainAndAddsNoEvent() throws Exception {
        routes.with("icws.subscribe.cron", "0/1 * * * * ?").start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        await().atMost(Duration.ofSeconds(15))
                .until(() -> routes.requestCount("PUT", "/messaging/subscriptions/licenses") >= 3);
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");

        assertThat(routes.fileEvents()).hasSize(4);
        assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(1);
    }

    @Test
    void expiredSessionLogsInAgainWithoutLosingOrRepeatingChanges() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.expireSessions();
        // a change made while the routes notice the session is gone and log in again is not lost: no session
        // of theirs exists now, so only the new session's snapshot can carry it
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(2);
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");

        // the new session's snapshot matched the state: no observed twice
        assertThat(routes.fileEvents()).hasSize(5);
        assertThat(routes.fileEvents(STATION, "unassigned")).hasSize(1);
    }

    @Test
    void shutdownDeletesSubscriptionThenConnection() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.stop();

        List<RecordedRequest> deletes = routes.simulator.requests().stream()
                .filter(r -> r.method().equals("DELETE")).toList();
        assertThat(deletes).hasSize(2);
        assertThat(deletes.get(0).path()).endsWith("/messaging/subscriptions/licenses");
        assertThat(deletes.get(0).status()).isEqualTo(204);
        assertThat(deletes.get(1).path()).endsWith("/connection");
        assertThat(deletes.get(1).status()).isEqualTo(204);
    }

    @Test
    void restartReportsOnlyWhatChangedWhileAway() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.stop();

        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.start();
        routes.awaitFileEvent(STATION, "unassigned");
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");

        assertThat(routes.fileEvents()).hasSize(5);
        assertThat(routes.fileEvents(CLIENT, "observed")).hasSize(1);
    }
}
