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
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.simulator.Fault;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Behaviour under trouble, one test per row of the design's table, against both DSLs. Faults come from the
 * simulator's fault injection (or a real closed port); each test counts events per change id and asserts
 * none lost and none doubled. Time is driven by short intervals, never by sleeping.
 */
abstract class LicenseRoutesFaultTest extends RoutesTestSupport {

    /** Short delays so that backoff and redelivery happen within a test. */
    @BeforeEach
    void shortDelays() {
        routes.with("icws.retry.initial-delay", "200")
                .with("icws.retry.max-delay", "800")
                .with("icws.http.response-timeout", "700")
                .with("icws.notify.redelivery.attempts", "2");
    }

    @Test
    void serverErrorsOnPollingBackOffKeepHealthDownAndLoseNothing() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.addFault(Fault.of(500, 4, "/messaging/messages"));
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> !icwsHealth().isUp());
        assertThat(icwsHealth().message()).contains("GET /icws/{sessionId}/messaging/messages answered 500");

        routes.awaitFileEvent(STATION, "unassigned");
        await().atMost(Duration.ofSeconds(10)).until(() -> icwsHealth().isUp());
        assertEachChangeOnce(4);
        // backoff: the four 500s were spread out, not one per 100 ms poll
        List<Long> failures = routes.simulator.requests().stream().filter(r -> r.status() == 500)
                .map(r -> r.time().toEpochMilli()).toList();
        assertThat(failures).hasSize(4);
        assertThat(failures.get(3) - failures.get(0)).isGreaterThanOrEqualTo(200 + 400 + 800 - 100);
    }

    @Test
    void timeoutsAreRetriedWithBackoff() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.addFault(new Fault(0, 2, "/messaging/messages", List.of(), 2_000));
        routes.simulator.setLicenseAssigned("agent1", STATION, false);

        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeOnce(4);
        assertThat(routes.bean("icwsConnection", IcwsConnection.class).session()).isPresent();
    }

    @Test
    void connectionRefusedUntilTheServerIsBackThenReportsWhatChangedMeanwhile() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        int port = routes.simulator.port();

        routes.replaceSimulator(closedFor(port));
        // the first failure may be the kept-alive connection closing; then connections are refused
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !icwsHealth().isUp() && icwsHealth().message().contains("ConnectException"));

        // back, and the station was unassigned while it was away
        SimulatedUser changed = new SimulatedUser("agent1", "secret",
                Map.of(CLIENT, true, STATION, false, FEEDBACK, false));
        routes.replaceSimulator(IcwsSimulator.builder().port(port).users(List.of(changed)).build().start());

        routes.awaitFileEvent(STATION, "unassigned");
        await().atMost(Duration.ofSeconds(10)).until(() -> icwsHealth().isUp());
        routes.simulator.setLicenseAssigned("agent1", CLIENT, false);
        routes.awaitFileEvent(CLIENT, "unassigned");
        assertEachChangeOnce(5);
    }

    @Test
    void switchoverAt503MovesToTheAlternateHostAndStaysThere() throws Exception {
        int port = routes.simulator.port();
        try (IcwsSimulator peer = IcwsSimulator.builder().host("127.0.0.2").port(port)
                .users(List.of(SimulatedUser.demo())).build().start()) {
            routes.simulator.addFault(new Fault(503, 1000, "/icws/connection", List.of("127.0.0.2"), 0));
            routes.start();

            routes.awaitFileEvent(FEEDBACK, "observed");
            assertThat(routes.bean("icwsConnection", IcwsConnection.class).currentServer().getHost())
                    .isEqualTo("127.0.0.2");
            peer.setLicenseAssigned("agent1", STATION, false);
            routes.awaitFileEvent(STATION, "unassigned");
            assertEachChangeOnce(4);
            assertThat(peer.requests()).anyMatch(r -> r.path().endsWith("/messaging/messages"));
        }
    }

    @Test
    void severalConfiguredServersAreTriedInTurnAndTheOneThatAnswersIsKept() throws Exception {
        String working = routes.simulator.baseUri().toString();
        routes.with("icws.server", "http://127.0.0.1:" + freePort() + "," + working).start();

        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");

        assertThat(routes.bean("icwsConnection", IcwsConnection.class).currentServer().toString()).isEqualTo(working);
        assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(1);
        assertEachChangeOnce(4);
    }

    @Test
    void permanentLoginFailureIsNotRetriedInAStormAndRecoversAtTheNextCronFiring() throws Exception {
        routes.simulator.addFault(new Fault(400, 1_000_000, "/icws/connection", List.of(), 0));
        routes.with("icws.subscribe.cron", "0/2 * * * * ?").start();

        await().atMost(Duration.ofSeconds(10)).until(() -> routes.requestCount("POST", "/icws/connection") >= 1);
        assertThat(icwsHealth().isUp()).isFalse();
        assertThat(icwsHealth().message()).contains("POST /icws/connection answered 400");
        // 100 ms polling for 3 s would be ~30 attempts; one per cron firing (every 2 s) is at most 3
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4))
                .until(() -> routes.requestCount("POST", "/icws/connection") <= 3);

        routes.simulator.clearFaults();
        routes.awaitFileEvent(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> icwsHealth().isUp());
    }

    @Test
    void connectionStateDownMessageMeansLogInAgain() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");

        routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:connection:connectionStateChangeMessage\","
                + "\"isDelta\":false,\"previousConnectionState\":\"up\",\"newConnectionState\":\"down\","
                + "\"reason\":\"switchover\",\"shouldReconnect\":true}");

        await().atMost(Duration.ofSeconds(10)).until(() -> routes.requestCount("POST", "/icws/connection") == 2);
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeOnce(4);
    }

    @Test
    void faultedSubscriptionIsRenewed() throws Exception {
        routes.start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        long puts = routes.requestCount("PUT", "/messaging/subscriptions/licenses");

        routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:messaging:subscriptionStateMessage\","
                + "\"isDelta\":false,\"state\":\"faulted\",\"error\":{\"errorId\":\"x\",\"message\":\"lost\"}}");

        await().atMost(Duration.ofSeconds(10))
                .until(() -> routes.requestCount("PUT", "/messaging/subscriptions/licenses") > puts);
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeOnce(4);
    }

    @Test
    void aTargetThatFailsGetsRedeliveriesThenTheEventGoesToTheDeadLettersAndOthersStillGetIt() throws Exception {
        // the file target's folder is a file: every write fails
        Path notAFolder = Files.writeString(folder.resolve("not-a-folder"), "x");
        routes.with("icws.notify.file.directory", notAFolder.resolve("changes").toString())
                .with("icws.notify.email.changes", "observed")
                .start();

        await().atMost(Duration.ofSeconds(20)).until(() -> routes.deadLetterDocuments().size() >= 3);
        List<JsonNode> letters = routes.deadLetterDocuments();
        assertThat(letters).hasSize(3).allSatisfy(d -> {
            assertThat(d.path("origin").asText()).isEqualTo("notify-file");
            assertThat(d.path("content").path("specversion").asText()).isEqualTo("1.0");
        });
        assertThat(letters).extracting(d -> d.path("content").path("data").path("license").asText())
                .containsExactlyInAnyOrder(CLIENT, STATION, FEEDBACK);
        routes.receiveJmsUntil(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 3);
    }

    @Test
    void brokerDownAndSmtpRefusingEndInTheDeadLettersWhileFilesStillArrive() throws Exception {
        int closedPort = freePort();
        routes.with("icws.notify.jms.broker-url", "tcp://127.0.0.1:" + closedPort + "?reconnectAttempts=0")
                .with("icws.notify.email.port", Integer.toString(freePort()))
                .with("icws.notify.email.changes", "observed")
                .start();

        routes.awaitFileEvent(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(30)).until(() -> routes.deadLetterDocuments().size() >= 6);
        Map<String, Long> byOrigin = routes.deadLetterDocuments().stream()
                .collect(Collectors.groupingBy(d -> d.path("origin").asText(), Collectors.counting()));
        assertThat(byOrigin).containsEntry("notify-jms", 3L).containsEntry("notify-email", 3L);
        assertThat(routes.deadLetterDocuments()).allSatisfy(d -> assertThat(d.path("reason").asText()).isNotBlank());
        assertThat(routes.fileEvents()).hasSize(3);
    }

    @Test
    void shutdownWithTheServerHangingFinishesWithinTheBound() throws Exception {
        routes.with("icws.shutdown.timeout", "1000").start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.simulator.addFault(new Fault(0, 10, "/icws/", List.of(), 20_000));

        long started = System.nanoTime();
        routes.stop();
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(tookMillis).isLessThan(1000 + 5000);
    }

    @Test
    void hostileLicenseNamesCannotEscapeTheFolderInjectMailHeadersOrBreakJmsProperties() throws Exception {
        routes.with("icws.notify.email.changes", "observed").start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.receiveJmsUntil(FEEDBACK, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> smtp.getReceivedMessages().length == 3);

        List<String> hostile = List.of("../../escaped", "a/b\\c", "nul\u0000name", "crlf\r\nBcc: evil@example.com",
                "x".repeat(10_000));
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode message = mapper.createObjectNode()
                .put("__type", "urn:inin.com:licenses:licenseMessage").put("isDelta", true);
        hostile.forEach(name -> message.withArray("licenseAssignedStatusList").addObject()
                .put("name", name).put("isAssigned", true));
        routes.simulator.queueMessage("agent1", mapper.writeValueAsString(message));

        await().atMost(Duration.ofSeconds(20)).until(() -> routes.fileEvents().size() == 8);
        // files: every one inside the folder, named only with safe characters; nothing written beside it
        try (var files = Files.list(routes.changes)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .hasSize(8).allMatch(n -> n.matches("[A-Za-z0-9_.-]+") && n.length() < 200);
        }
        try (var beside = Files.list(folder)) {
            assertThat(beside.map(f -> f.getFileName().toString()))
                    .doesNotContain("escaped").allMatch(n -> List.of("changes", "state", "broker", "dead-letter").contains(n));
        }
        assertThat(routes.fileEvents()).extracting(e -> e.path("data").path("license").asText())
                .containsAll(hostile);
        // JMS: one message per name, properties without control characters and bounded
        List<jakarta.jms.Message> jms = new java.util.ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            jakarta.jms.Message m = routes.receiveJms(Duration.ofMillis(200));
            if (m != null) {
                jms.add(m);
            }
            return jms.size() == 5;
        });
        assertThat(jms).allSatisfy(m -> assertThat(m.getStringProperty("license"))
                .doesNotContain("\r", "\n", "\u0000").hasSizeLessThanOrEqualTo(256));
        // email: no injected recipient or header, subject on one line
        await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length == 8);
        assertThat(smtp.getReceivedMessages()).allSatisfy(mail -> {
            assertThat(mail.getAllRecipients()).extracting(Object::toString).containsExactly("alerts@example.com");
            assertThat(mail.getHeader("Bcc")).isNull();
            assertThat(mail.getSubject()).doesNotContain("\r", "\n").hasSizeLessThan(250);
        });
    }

    // ------------------------------------------------------------------------------------------------

    /** The readiness check {@code icws}, as the health endpoint reports it. */
    private Health icwsHealth() {
        HealthCheck.Result result = HealthCheckRegistry.get(routes.context()).getCheck("icws").orElseThrow().call();
        return new Health(result.getState() == HealthCheck.State.UP, result.getMessage().orElse(""));
    }

    private record Health(boolean isUp, String message) {
    }

    /** Every change id appears exactly once in the file target, and there are this many. */
    private void assertEachChangeOnce(int expected) throws IOException {
        Map<String, Long> perId = routes.fileEvents().stream()
                .collect(Collectors.groupingBy(e -> e.path("id").asText(), Collectors.counting()));
        assertThat(perId).hasSize(expected);
        assertThat(perId.values()).allMatch(n -> n == 1L);
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
