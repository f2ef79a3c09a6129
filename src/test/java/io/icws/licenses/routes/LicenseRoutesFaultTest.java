package io.icws.licenses.routes;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icws.licenses.simulator.Fault;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.RecordedRequest;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Behaviour under trouble, one test per row of the README's table, against both DSLs and both receive modes.
 * Faults come from the simulator's fault injection (or a real closed port); every test counts deliveries — one
 * JMS message per delivery, and one file per event id — and asserts none lost and none doubled. Time is driven
 * by short intervals, never by sleeping.
 */
abstract class LicenseRoutesFaultTest extends RoutesTestSupport {

    /** Short delays so that backoff and redelivery happen within a test. */
    @BeforeEach
    void shortDelays() {
        routes.with("icws.retry.initial-delay", "200")
                .with("icws.retry.max-delay", "800")
                .with("icws.notify.redelivery.attempts", "2");
    }

    /** Makes the routes ask the server again: a poll does each interval; a stream must be cut. */
    private void interruptReceiving() {
        if (receive().equals("sse")) {
            routes.simulator.dropEventStreams();
        }
    }

    @Test
    void serverErrorsWhileReceivingBackOffKeepHealthDownAndLoseNothing() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();

        routes.simulator.addFault(Fault.of(500, 4, "/messaging/messages"));
        interruptReceiving();
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        // (on a stream, the first problem is the stream's end; the next ones are the 500s of asking again)
        // (one reading of the check, awaited and asserted: a second reading may already be a later state)
        Health down = await().atMost(Duration.ofSeconds(10)).until(this::connectionHealth, h -> !h.isUp()
                && h.message().contains("/icws/{sessionId}/messaging/messages answered 500"));
        assertThat(down.message()).startsWith("GET");

        routes.awaitFileEvent(STATION, "unassigned");
        await().atMost(Duration.ofSeconds(10)).until(() -> connectionHealth().isUp());
        assertEachChangeDeliveredOnce(4);
        // backoff: the four 500s were spread out (200, 400, 800, 800 ms, each ±10%), not one per 100 ms poll
        List<Long> failures = routes.simulator.requests().stream().filter(r -> r.status() == 500)
                .map(r -> r.time().toEpochMilli()).toList();
        assertThat(failures).hasSize(4);
        assertThat(failures.get(3) - failures.get(0)).isGreaterThanOrEqualTo((long) ((200 + 400 + 800) * 0.9) - 50);
    }

    @Test
    void aServerThatStopsAnsweringIsCutByTheTimeOutAndAskedAgainAfterTheBackoff() throws Exception {
        routes.with("icws.http.response-timeout", "700").with("icws.sse.idle-timeout", "700").start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();

        // the next two requests for messages get no answer for 5 s
        java.time.Instant faultAdded = java.time.Instant.now();
        routes.simulator.addFault(new Fault(0, 2, "/messaging/messages", List.of(), 5_000));
        interruptReceiving();
        routes.simulator.setLicenseAssigned("agent1", STATION, false);

        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeDeliveredOnce(4);
        // the first hanging request was given up after ~700 ms, and asked again after the backoff (~200 ms):
        // well before the 5 s the server would have taken
        List<RecordedRequest> asks = routes.simulator.receivedRequests().stream()
                .filter(r -> r.path().endsWith("/messaging/messages") && !r.time().isBefore(faultAdded)).toList();
        assertThat(asks).hasSizeGreaterThanOrEqualTo(3);
        long gap = asks.get(1).time().toEpochMilli() - asks.get(0).time().toEpochMilli();
        assertThat(gap).as("time from a hanging request to the next one").isBetween(700L + 150, 5_000L - 500);
    }

    @Test
    void connectionRefusedUntilTheServerIsBackThenReportsWhatChangedMeanwhile() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();
        int port = routes.simulator.port();

        routes.replaceSimulator(closedFor(port));
        // the first failure may be the kept-alive connection closing; then connections are refused
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !connectionHealth().isUp() && connectionHealth().message().contains("ConnectException"));

        // back, and the station was unassigned while it was away
        SimulatedUser changed = new SimulatedUser("agent1", "secret",
                Map.of(CLIENT, true, STATION, false, FEEDBACK, false));
        routes.replaceSimulator(IcwsSimulator.builder().port(port).users(List.of(changed)).build().start());

        routes.awaitFileEvent(STATION, "unassigned");
        await().atMost(Duration.ofSeconds(10)).until(() -> connectionHealth().isUp());
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");
        assertEachChangeDeliveredOnce(5);
    }

    @Test
    void switchoverAt503MovesToTheAlternateHostAndStaysThere() throws Exception {
        int port = routes.simulator.port();
        try (IcwsSimulator peer = IcwsSimulator.builder().host("127.0.0.2").port(port)
                .users(List.of(SimulatedUser.demo())).build().start()) {
            routes.simulator.addFault(new Fault(503, 1000, "/icws/connection", List.of("127.0.0.2"), 0));
            routes.start();

            routes.awaitFileEvent(FEEDBACK, "observed");
            routes.listenToJms();
            assertThat(routes.status().server().getHost()).isEqualTo("127.0.0.2");
            peer.setLicenseAssigned("agent1", STATION, false);
            routes.awaitFileEvent(STATION, "unassigned");
            assertEachChangeDeliveredOnce(4, peer);
            assertThat(peer.requests()).anyMatch(r -> r.path().endsWith("/messaging/subscriptions/licenses"));
        }
    }

    @Test
    void severalConfiguredServersAreTriedInTurnAndTheOneThatAnswersIsKept() throws Exception {
        String working = routes.simulator.baseUri().toString();
        routes.with("icws.server", "http://127.0.0.1:" + freePort() + "," + working).start();

        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");

        assertThat(routes.status().server().toString()).isEqualTo(working);
        assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(1);
        assertEachChangeDeliveredOnce(4);
    }

    @Test
    void permanentLoginFailureIsNotRetriedInAStormAndRecoversAtTheNextCronFiring() throws Exception {
        routes.simulator.addFault(new Fault(400, 1_000_000, "/icws/connection", List.of(), 0));
        routes.with("icws.subscribe.cron", "0/2 * * * * ?").start();

        await().atMost(Duration.ofSeconds(10)).until(() -> routes.requestCount("POST", "/icws/connection") >= 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !connectionHealth().isUp()
                && connectionHealth().message().contains("POST /icws/connection answered 400"));
        // 200 ms backoff for 3 s would be ~10 attempts; one per cron firing (every 2 s) is at most 3
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4))
                .until(() -> routes.requestCount("POST", "/icws/connection") <= 3);

        routes.simulator.clearFaults();
        routes.awaitFileEvent(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> connectionHealth().isUp());
    }

    @Test
    void aClientErrorWhileReceivingIsRetriedWithBackoffNotEveryPoll() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.addFault(Fault.of(400, 3, "/messaging/messages"));
        interruptReceiving();
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");

        List<Long> failures = routes.simulator.requests().stream().filter(r -> r.status() == 400)
                .map(r -> r.time().toEpochMilli()).toList();
        assertThat(failures).hasSize(3);
        assertThat(failures.get(2) - failures.get(0)).isGreaterThanOrEqualTo((long) ((200 + 400) * 0.9) - 50);
    }

    @Test
    void connectionStateDownMessageMeansLogInAgain() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();

        routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:connection:connectionStateChangeMessage\","
                + "\"isDelta\":false,\"previousConnectionState\":\"up\",\"newConnectionState\":\"down\","
                + "\"reason\":\"switchover\",\"shouldReconnect\":true}");

        await().atMost(Duration.ofSeconds(10)).until(() -> routes.requestCount("POST", "/icws/connection") == 2);
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeDeliveredOnce(4);
    }

    @Test
    void faultedSubscriptionIsRenewed() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();
        long puts = routes.requestCount("PUT", "/messaging/subscriptions/licenses");

        routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:messaging:subscriptionStateMessage\","
                + "\"isDelta\":false,\"state\":\"faulted\",\"error\":{\"errorId\":\"x\",\"message\":\"lost\"}}");

        await().atMost(Duration.ofSeconds(10))
                .until(() -> routes.requestCount("PUT", "/messaging/subscriptions/licenses") > puts);
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeDeliveredOnce(4);
    }

    @Test
    void aRefusedEventIsTriedAgainThenGoesToTheDeadLettersAndTheOthersStillGetIt() throws Exception {
        // the SMTP server answers 550 to the recipient: a refusal of each event, not an outage
        try (RefusingSmtpServer refusing = new RefusingSmtpServer()) {
            routes.with("icws.notify.email.port", Integer.toString(refusing.port()))
                    .with("icws.notify.email.changes", "observed")
                    .start();

            await().atMost(Duration.ofSeconds(20)).until(() -> routes.deadLetterDocuments().size() >= 3);
            List<JsonNode> letters = routes.deadLetterDocuments();
            assertThat(letters).hasSize(3).allSatisfy(d -> {
                assertThat(d.path("origin").asText()).isEqualTo("email");
                assertThat(d.path("content").path("specversion").asText()).isEqualTo("1.0");
                // one try and two redeliveries (icws.notify.redelivery.attempts=2)
                assertThat(d.path("reason").asText()).startsWith("target email refused it 3 times");
            });
            assertThat(letters).extracting(d -> d.path("content").path("data").path("license").asText())
                    .containsExactlyInAnyOrder(CLIENT, STATION, FEEDBACK);
            assertThat(refusing.refusedRecipients).hasSize(9).allMatch(r -> r.contains("alerts+icws@example.com"));
            assertThat(routes.fileEvents()).hasSize(3);
            routes.receiveJmsUntil(FEEDBACK, "observed");
        }
    }

    @Test
    void aBrokenFileTargetDelaysNeitherJmsNorMail() throws Exception {
        Path notAFolder = Files.writeString(folder.resolve("not-a-folder"), "x");
        routes.with("icws.notify.file.directory", notAFolder.resolve("changes").toString())
                .with("icws.notify.redelivery.attempts", "10")
                .with("icws.notify.redelivery.initial-delay", "5000")
                .with("icws.notify.email.changes", "observed,unassigned")
                .start();

        // the file target is stuck on the first event for a minute; JMS and mail get every event meanwhile
        routes.receiveJmsUntil(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 3);
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.receiveJmsUntil(CLIENT, "unassigned");
        await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 4);

        HealthCheck.Result file = routes.health("icws-target-file");
        assertThat(file.getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(file.getDetails()).containsEntry("queue.depth", 4).containsEntry("state", "outage")
                .containsEntry("dead.letters", 0L);
        assertThat(routes.health("icws-target-jms").getState()).isEqualTo(HealthCheck.State.UP);
        assertThat(routes.health("icws-target-email").getState()).isEqualTo(HealthCheck.State.UP);
    }

    @Test
    void aTargetHealthCheckIsDownWhileItFailsAndUpAfterItDrained() throws Exception {
        Path changes = folder.resolve("blocked");
        Files.writeString(changes, "not a folder yet");
        routes.with("icws.notify.file.directory", changes.toString())
                .with("icws.notify.redelivery.attempts", "1000")
                .start();

        // DOWN from the start-up check on; once the first event has been tried, the check names it too (one
        // await on all of it: the start-up check alone gives DOWN with three waiting, but no failing event)
        HealthCheck.Result down = await().atMost(Duration.ofSeconds(10)).until(
                () -> routes.health("icws-target-file"),
                r -> r.getState() == HealthCheck.State.DOWN && r.getDetails().containsKey("failing.event"));
        assertThat(down.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("3 waiting"));
        assertThat(down.getDetails()).containsKeys("last.error", "attempts", "failing.since")
                .containsEntry("queue.depth", 3).containsEntry("state", "outage");

        Files.delete(changes);
        // the queue is empty a moment before the last event's success is recorded: wait for both
        await().atMost(Duration.ofSeconds(10)).until(() -> routes.health("icws-target-file"),
                r -> Integer.valueOf(0).equals(r.getDetails().get("queue.depth"))
                        && r.getState() == HealthCheck.State.UP);
        assertThat(routes.deadLetterDocuments()).isEmpty();
        try (var files = Files.list(changes)) {
            assertThat(files.filter(f -> f.toString().endsWith(".json"))).hasSize(3);
        }
    }

    @Test
    void brokerDownAndSmtpUnreachableHoldTheirQueuesWithoutDeadLettersWhileFilesStillArrive() throws Exception {
        int closedPort = freePort();
        routes.with("icws.notify.jms.broker-url", "tcp://127.0.0.1:" + closedPort + "?reconnectAttempts=0")
                .with("icws.notify.email.port", Integer.toString(freePort()))
                .with("icws.notify.email.changes", "observed")
                .start();

        routes.awaitFileEvent(FEEDBACK, "observed");
        // more attempts than the 3 tries a refusal gets: still holding, nothing in the dead letters
        await().atMost(Duration.ofSeconds(30)).until(() -> heldLongerThanTheTries("icws-target-jms")
                && heldLongerThanTheTries("icws-target-email"));
        assertThat(routes.deadLetterDocuments()).isEmpty();
        assertThat(routes.fileEvents()).hasSize(3);
        for (String check : List.of("icws-target-jms", "icws-target-email")) {
            HealthCheck.Result held = routes.health(check);
            assertThat(held.getState()).as(check).isEqualTo(HealthCheck.State.DOWN);
            assertThat(held.getDetails()).as(check).containsKeys("last.error", "failing.since")
                    .containsEntry("state", "outage").containsEntry("queue.depth", 3)
                    .containsEntry("dead.letters", 0L);
        }
    }

    private boolean heldLongerThanTheTries(String check) {
        Map<String, Object> details = routes.health(check).getDetails();
        return "outage".equals(details.get("state")) && details.get("attempts") instanceof Integer n && n > 3;
    }

    @Test
    void aDeadLetterMovedToTheReplayFolderIsSentAgainExactlyOnce() throws Exception {
        try (RefusingSmtpServer smtpServer = new RefusingSmtpServer()) {
            routes.with("icws.notify.email.port", Integer.toString(smtpServer.port()))
                    .with("icws.notify.email.changes", "observed")
                    .with("icws.notify.redelivery.attempts", "0")
                    .start();
            await().atMost(Duration.ofSeconds(10)).until(() -> routes.deadLetterDocuments().size() == 3);
            List<String> ids = routes.deadLetterDocuments().stream().map(d -> d.path("content").path("id").asText())
                    .toList();

            smtpServer.accept();
            Path replay = routes.deadLetters.resolve("replay");
            Files.createDirectories(replay);
            try (var letters = Files.list(routes.deadLetters)) {
                for (Path letter : letters.filter(f -> f.toString().endsWith(".json")).toList()) {
                    Files.move(letter, replay.resolve(letter.getFileName()));
                }
            }

            await().atMost(Duration.ofSeconds(10)).until(() -> smtpServer.received.size() == 3
                    && Files.list(replay).noneMatch(f -> f.toString().endsWith(".json")));
            // each dead letter mailed once (the body names the event id)
            for (String id : ids) {
                assertThat(smtpServer.received).as(id).filteredOn(m -> m.contains(id)).hasSize(1);
            }
            // the other targets did not get them again: JMS had each once, before the replay, and has it once now
            routes.listenToJms();
            routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
            routes.receiveJmsUntil(CLIENT, "unassigned");
            assertThat(routes.jmsDeliveriesPerId()).hasSize(4);
            ids.forEach(id -> assertThat(routes.jmsDeliveriesPerId()).containsEntry(id, 1L));
            assertThat(routes.fileEvents()).hasSize(4);
            assertThat(smtpServer.received).hasSize(3);
        }
    }

    @Test
    void aStateThatCannotBeSavedIsRetriedNotDeadLetteredAndNothingIsLost() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();
        Path stateDir = folder.resolve("state");
        Path saved = folder.resolve("state-saved");
        Files.move(stateDir, saved);
        Files.writeString(stateDir, "the disk refuses");

        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> !connectionHealth().isUp()
                && connectionHealth().message().contains("license state not saved"));
        // the event is out all the same: it was in the outbox before the state
        routes.awaitFileEvent(STATION, "unassigned");
        assertThat(routes.deadLetterDocuments()).isEmpty();

        Files.delete(stateDir); // the disk is back: the checkpoint tried again every second makes the folder anew
        await().atMost(Duration.ofSeconds(10)).until(() -> connectionHealth().isUp());
        assertThat(stateDir).isDirectory();
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");
        assertEachChangeDeliveredOnce(5);
    }

    @Test
    void theStateComesBackFromTheOutboxWhenTheStateFolderIsDeleted() throws Exception {
        routes.start();
        // every event of the first snapshot delivered (one still pending would rightly come after the restart)
        for (String license : List.of(CLIENT, STATION, FEEDBACK)) {
            routes.awaitFileEvent(license, "observed");
        }
        routes.stop();
        deleteTree(folder.resolve("state"));
        deleteTree(routes.changes);

        routes.start();
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);

        // the outbox's newest record holds the state: nothing is observed again, the change is a change
        routes.awaitFileEvent(CLIENT, "unassigned");
        assertThat(routes.fileEvents()).extracting(e -> e.path("data").path("changeType").asText())
                .doesNotContain("observed");
    }

    @Test
    void eventIdsDifferAfterTheStateAndTheOutboxAreDeleted() throws Exception {
        routes.start();
        JsonNode before = routes.awaitFileEvent(CLIENT, "observed");
        routes.stop();
        deleteTree(folder.resolve("state"));
        deleteTree(folder.resolve("outbox"));
        deleteTree(routes.changes);

        routes.start();
        JsonNode after = routes.awaitFileEvent(CLIENT, "observed");

        assertThat(after.path("id").asText()).isNotEqualTo(before.path("id").asText());
    }

    @Test
    void shutdownWithTheServerHangingEndsWithinTheBoundAfterTryingToLogOut() throws Exception {
        routes.with("icws.shutdown.timeout", "1000").start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        // from now on the server takes every request and answers none for 20 s (longer than the 30 s response
        // time-out would allow a shutdown bounded by time-outs alone to end quickly)
        routes.simulator.addFault(new Fault(0, 1000, "/icws/", List.of(), 20_000));
        interruptReceiving();

        long started = System.nanoTime();
        routes.stop();
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMillis).isLessThan(1000 + 5000);
        // both DELETEs were sent, the log-out too although the unsubscribe got no answer
        assertThat(routes.simulator.receivedRequests())
                .anyMatch(r -> r.method().equals("DELETE") && r.path().endsWith("/messaging/subscriptions/licenses"))
                .anyMatch(r -> r.method().equals("DELETE") && r.path().endsWith("/connection"));
    }

    @Test
    void shutdownWhileALoginIsUnderWayLogsThatSessionOutWhenItsAnswerComes() throws Exception {
        routes.simulator.addFault(new Fault(0, 1, "/icws/connection", List.of(), 1_000));
        routes.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> routes.simulator.receivedRequests().stream()
                .anyMatch(r -> r.method().equals("POST")));

        routes.stop();

        // the login was answered after the stop began: its session was logged out, not left open
        List<RecordedRequest> requests = routes.simulator.requests();
        assertThat(requests).extracting(RecordedRequest::method).containsSubsequence("POST", "DELETE");
        assertThat(requests).anyMatch(r -> r.method().equals("DELETE") && r.path().endsWith("/connection")
                && r.status() == 204);
        assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(1);
    }

    @Test
    void hostileLicenseNamesCannotEscapeTheFolderInjectMailHeadersOrBreakJmsProperties() throws Exception {
        routes.with("icws.notify.email.changes", "observed").start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.receiveJmsUntil(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 3);

        List<String> hostile = List.of("../../escaped", "a/b\\c", "nul\u0000name", "crlf\r\nBcc: evil@example.com",
                "x\r\nNew state: assigned", "x".repeat(10_000));
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode message = mapper.createObjectNode()
                .put("__type", "urn:inin.com:licenses:licenseMessage").put("isDelta", true);
        hostile.forEach(name -> message.withArray("licenseAssignedStatusList").addObject()
                .put("name", name).put("isAssigned", true));
        routes.simulator.queueMessage("agent1", mapper.writeValueAsString(message));

        await().atMost(Duration.ofSeconds(20)).until(() -> routes.fileEvents().size() == 9);
        // files: every one inside the folder, named only with safe characters; nothing written beside it
        try (var files = Files.list(routes.changes)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .hasSize(9).allMatch(n -> n.matches("[A-Za-z0-9_.-]+") && n.length() < 200);
        }
        try (var beside = Files.list(folder)) {
            assertThat(beside.map(f -> f.getFileName().toString())).doesNotContain("escaped")
                    .allMatch(n -> List.of("changes", "state", "broker", "dead-letter", "outbox").contains(n));
        }
        assertThat(routes.fileEvents()).extracting(e -> e.path("data").path("license").asText()).containsAll(hostile);
        // JMS: one message per name, properties without control characters and bounded
        await().atMost(Duration.ofSeconds(20)).until(() -> routes.jmsReceived.size() == 9);
        assertThat(routes.jmsReceived).allSatisfy(m -> assertThat(m.getStringProperty("license"))
                .doesNotContain("\r", "\n", "\u0000").hasSizeLessThanOrEqualTo(256));
        // email: no injected recipient or header, subject on one line, no forged line in the body
        await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length == 9);
        assertThat(smtp.getReceivedMessages()).allSatisfy(mail -> {
            assertThat(mail.getAllRecipients()).extracting(Object::toString).containsExactly("alerts+icws@example.com");
            assertThat(mail.getHeader("Bcc")).isNull();
            assertThat(mail.getSubject()).doesNotContain("\r", "\n").hasSizeLessThan(250);
            assertThat(mail.getContent().toString().lines()).noneMatch(line -> line.startsWith("New state: assigned"));
        });
    }

    // ------------------------------------------------------------------------------------------------

    /** The readiness check of the connection, as the health endpoint reports it. */
    private Health connectionHealth() {
        HealthCheck.Result result = routes.health("icws-default");
        return new Health(result.getState() == HealthCheck.State.UP, result.getMessage().orElse(""));
    }

    private record Health(boolean isUp, String message) {
    }

    /**
     * Every change id reached the file target, and was delivered by JMS exactly once: a second delivery of an
     * event would be a second JMS message (a file of the same id would only be overwritten).
     */
    private void assertEachChangeDeliveredOnce(int expected) throws Exception {
        assertEachChangeDeliveredOnce(expected, routes.simulator);
    }

    /** The same, with the sentinel change made on the given server (the one the routes use now). */
    private void assertEachChangeDeliveredOnce(int expected, IcwsSimulator server) throws Exception {
        List<JsonNode> files = routes.fileEvents();
        Map<String, Long> perFile = files.stream()
                .collect(Collectors.groupingBy(e -> e.path("id").asText(), Collectors.counting()));
        assertThat(perFile).hasSize(expected);
        await().atMost(Duration.ofSeconds(10)).until(() -> routes.jmsDeliveriesPerId().keySet().containsAll(perFile.keySet()));
        // a last sentinel change, delivered after any duplicate would have been
        server.setLicenseAssigned("agent1", FEEDBACK, !currentlyAssigned(FEEDBACK));
        await().atMost(Duration.ofSeconds(20)).until(() -> routes.jmsDeliveriesPerId().size() == expected + 1);
        assertThat(routes.jmsDeliveriesPerId()).hasSize(expected + 1).allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));
    }

    private boolean currentlyAssigned(String license) {
        return Boolean.TRUE.equals(routes.watch().licenses().get(license));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static IcwsSimulator closedFor(int port) {
        // a simulator that is built but never started: its port stays closed
        return IcwsSimulator.builder().port(port).build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
