package io.icws.licenses.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A batch that makes many changes is committed in parts ({@code icws.commit.events-per-record}): several records,
 * split between messages, each change once and in order; a batch that fails after a part goes back to what the
 * part committed, not to before the batch. One poll carries all the changes: the poll is held by the simulator
 * ({@code hang}) while they are made, then answered with all of them.
 */
class PartCommitRoutesTest extends RoutesTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "poll";
    }

    @BeforeEach
    void twoChangesPerRecord() {
        routes.with("icws.commit.events-per-record", "2")
                .with("icws.retry.initial-delay", "200")
                .with("icws.retry.max-delay", "800");
    }

    /** Holds the next poll, runs the changes (each queues a message), then lets the poll answer them all at once. */
    private void inOnePoll(Runnable changes) {
        routes.simulator.hang("/messaging/messages", false);
        await().atMost(Duration.ofSeconds(10)).until(() -> routes.simulator.heldRequests() == 1);
        changes.run();
        routes.simulator.releaseHang();
    }

    @Test
    void aPollOfFiveChangesIsCommittedAsThreeRecordsAndDeliveredOnceInOrder() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();

        inOnePoll(() -> {
            routes.simulator.setLicenseAssigned("agent1", STATION, false);
            routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
            routes.simulator.setLicenseAssigned("agent1", FEEDBACK, true); // the demo user starts without it
            routes.simulator.setLicenseAssigned("agent1", STATION, true);
            routes.simulator.setLicenseAssigned("agent1", CLIENT, true);
        });

        // both targets awaited: each delivers on its own, and both are asserted below
        await().atMost(Duration.ofSeconds(20)).until(() -> routes.jmsDeliveriesPerId().size() == 8
                && routes.fileEvents().size() == 8);
        List<String> delivered = new ArrayList<>();
        for (var message : routes.receiveJmsUntil(CLIENT, "assigned")) {
            delivered.add(message.getStringProperty("license") + " " + message.getStringProperty("changeType"));
        }
        assertThat(delivered).endsWith(STATION + " unassigned", CLIENT + " unassigned", FEEDBACK + " assigned",
                STATION + " assigned", CLIENT + " assigned");
        assertThat(routes.jmsDeliveriesPerId()).allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));
        // the snapshot's record (one message of three changes: not split), then the poll's five in parts of 2, 2, 1
        assertThat(recordSizes()).containsExactly(3, 2, 2, 1);
        assertThat(routes.fileEvents()).hasSize(8);
    }

    @Test
    void aMalformedMessageAfterAPartRollsBackOnlyWhatCameAfterThePart() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();

        inOnePoll(() -> {
            routes.simulator.setLicenseAssigned("agent1", STATION, false);
            routes.simulator.setLicenseAssigned("agent1", CLIENT, false); // the part: these two
            routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:licenses:licenseMessage\","
                    + "\"isDelta\":\"yes\",\"licenseAssignedStatusList\":[]}");
            routes.simulator.setLicenseAssigned("agent1", FEEDBACK, true); // rolled back: the snapshot brings it
        });

        routes.awaitFileEvent(FEEDBACK, "assigned");
        await().atMost(Duration.ofSeconds(20)).until(() -> routes.jmsDeliveriesPerId().size() == 6);
        // the state went back to the part's, not to before the batch: the new snapshot derives FEEDBACK only
        assertThat(routes.fileEvents(STATION, "unassigned")).hasSize(1);
        assertThat(routes.fileEvents(CLIENT, "unassigned")).hasSize(1);
        assertThat(routes.fileEvents(FEEDBACK, "assigned")).hasSize(1);
        assertThat(routes.fileEvents()).hasSize(6);
        assertThat(recordSizes()).containsExactly(3, 2, 1);
        assertThat(routes.deadLetterDocuments()).hasSize(1);
        assertThat(routes.deadLetterDocuments().get(0).toString()).contains("isDelta");
        // nothing doubled on JMS either, and the next change is a change
        routes.simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(20)).until(() -> routes.jmsDeliveriesPerId().size() == 7);
        assertThat(routes.jmsDeliveriesPerId()).allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));
    }

    /** How many events each record of the outbox holds, in order (records without events left out). */
    private List<Integer> recordSizes() throws IOException {
        Path outbox = folder.resolve("outbox");
        List<Integer> sizes = new ArrayList<>();
        try (Stream<Path> files = Files.list(outbox)) {
            for (Path segment : files.filter(f -> f.getFileName().toString().matches("outbox-\\d+\\.jsonl")).sorted()
                    .toList()) {
                for (String line : Files.readAllLines(segment)) {
                    JsonNode record = JSON.readTree(line);
                    if (record.path("events").size() > 0) {
                        sizes.add(record.path("events").size());
                    }
                }
            }
        }
        return sizes;
    }
}
