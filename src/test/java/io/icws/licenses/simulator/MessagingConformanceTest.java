package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.NoSuchElementException;

import org.junit.jupiter.api.Test;

class MessagingConformanceTest extends SimulatorTestBase {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void shortPollAnswersEmptyArrayWhenNothingIsQueued() {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> r = client.authed(l, "GET", "messaging/messages", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/vnd.inin.icws+JSON; charset=utf-8");
        assertThat(r.body()).isEqualTo("[]");
    }

    @Test
    void shortPollReturnsQueuedMessagesInOrderOnlyOnce() {
        IcwsTestClient.Login l = client.login();
        sim.queueMessage("agent1", "{\"__type\":\"urn:test:one\",\"isDelta\":false}");
        sim.queueMessage("agent1", "{\"__type\":\"urn:test:two\",\"isDelta\":true}");

        JsonNode first = client.poll(l);

        assertThat(first).hasSize(2);
        assertThat(first.get(0).get("__type").asText()).isEqualTo("urn:test:one");
        assertThat(first.get(1).get("__type").asText()).isEqualTo("urn:test:two");
        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void adminQueuedMessageIsDeliveredVerbatimToEverySessionOfTheUser() {
        IcwsTestClient.Login a = client.login();
        IcwsTestClient.Login b = client.login();
        String odd = "{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":\"maybe\",\"extra\":[1,2.50,null]}";

        HttpResponse<String> r = client.admin("POST", "users/agent1/messages", odd);

        assertThat(r.statusCode()).isIn(200, 204);
        assertThat(client.authed(a, "GET", "messaging/messages", null).body()).isEqualTo("[" + odd + "]");
        assertThat(client.authed(b, "GET", "messaging/messages", null).body()).isEqualTo("[" + odd + "]");
    }

    @Test
    void adminQueueMessageRejectsInvalidJsonWith400() {
        HttpResponse<String> r = client.admin("POST", "users/agent1/messages", "{not json");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("message").asText()).contains("JSON");
        assertThatThrownBy(() -> sim.queueMessage("agent1", "{oops")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void adminQueueMessageForUnknownUserIs404() {
        assertThat(client.admin("POST", "users/nobody/messages", "{}").statusCode()).isEqualTo(404);
        assertThatThrownBy(() -> sim.queueMessage("nobody", "{}")).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void eventStreamAnswersEventStreamContentTypeAndSendsKeepAliveComments() throws Exception {
        IcwsTestClient.Login l = client.login();

        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            assertThat(stream.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            assertThat(stream.nextLine(WAIT)).isEqualTo(": keep-alive");
            assertThat(stream.nextLine(WAIT)).isEqualTo(": keep-alive");
        }
    }

    @Test
    void eventStreamSendsAlreadyQueuedMessagesFirstThenNewOnes() throws Exception {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_ACCESS_CLIENT");

        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            JsonNode snapshot = stream.nextData(WAIT);
            assertThat(snapshot.get("isDelta").asBoolean()).isFalse();
            assertThat(snapshot.get("licenseAssignedStatusList").toString())
                    .isEqualTo("[{\"name\":\"I3_ACCESS_CLIENT\",\"isAssigned\":true}]");

            assertThat(client.setLicense("agent1", "I3_ACCESS_CLIENT", false).statusCode()).isIn(200, 204);

            JsonNode delta = stream.nextData(WAIT);
            assertThat(delta.toString()).isEqualTo("{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":true,"
                    + "\"licenseAssignedStatusList\":[{\"name\":\"I3_ACCESS_CLIENT\",\"isAssigned\":false}]}");
        }
    }

    @Test
    void messageDeliveredOnTheStreamIsNotReturnedByALaterShortPoll() throws Exception {
        IcwsTestClient.Login l = client.login();

        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            sim.queueMessage("agent1", "{\"__type\":\"urn:test:once\",\"isDelta\":false}");
            assertThat(stream.nextData(WAIT).get("__type").asText()).isEqualTo("urn:test:once");
        }
        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void expireSendsConnectionStateChangeDownOnTheStreamThenClosesItAndLaterCallsAre401() throws Exception {
        IcwsTestClient.Login l = client.login();

        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":"); // stream is up
            HttpResponse<String> r = client.admin("POST", "sessions/expire", null);
            assertThat(r.statusCode()).isIn(200, 204);

            JsonNode down = stream.nextData(WAIT);
            assertThat(down.get("__type").asText()).isEqualTo("urn:inin.com:connection:connectionStateChangeMessage");
            assertThat(down.get("isDelta").asBoolean()).isFalse();
            assertThat(down.get("previousConnectionState").asText()).isEqualTo("up");
            assertThat(down.get("newConnectionState").asText()).isEqualTo("down");
            assertThat(down.get("reason").asText()).isNotBlank();
            assertThat(down.get("shouldReconnect").asBoolean()).isTrue();
            stream.assertEnds(WAIT);
        }
        assertThat(client.authed(l, "GET", "messaging/messages", null).statusCode()).isEqualTo(401);
    }

    @Test
    void javaApiExpireSessionsEndsEverySession() {
        IcwsTestClient.Login a = client.login();
        IcwsTestClient.Login b = client.login();

        sim.expireSessions();

        assertThat(client.authed(a, "POST", "messaging/heartbeat", null).statusCode()).isEqualTo(401);
        assertThat(client.authed(b, "GET", "messaging/messages", null).statusCode()).isEqualTo(401);
        assertThat(client.login().sessionId()).isNotBlank();
    }

    @Test
    void logoutEndsAnOpenStream() throws Exception {
        IcwsTestClient.Login l = client.login();

        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":");
            assertThat(client.authed(l, "DELETE", "connection", null).statusCode()).isEqualTo(204);
            stream.assertEnds(WAIT);
        }
    }

    @Test
    void closingTheSimulatorEndsAnOpenStreamWithinASecond() throws Exception {
        IcwsSimulator slowKeepAlive = IcwsSimulator.builder().port(0)
                .keepAliveInterval(Duration.ofSeconds(30)).build().start();
        try {
            IcwsTestClient c = new IcwsTestClient(slowKeepAlive.baseUri());
            IcwsTestClient.Login l = c.login();
            c.subscribe(l, "I3_ACCESS_CLIENT");
            try (IcwsTestClient.EventStream stream = c.openStream(l)) {
                assertThat(stream.nextData(WAIT).get("isDelta").asBoolean()).isFalse();
                long start = System.nanoTime();

                slowKeepAlive.close();

                stream.assertEnds(Duration.ofMillis(1500));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
            }
        } finally {
            slowKeepAlive.close(); // idempotent
        }
    }

    @Test
    void anOpenStreamKeepsTheSessionAlive() throws Exception {
        try (IcwsSimulator shortLived = IcwsSimulator.builder().port(0)
                .sessionTimeout(Duration.ofMillis(300)).keepAliveInterval(Duration.ofMillis(100)).build().start()) {
            IcwsTestClient c = new IcwsTestClient(shortLived.baseUri());
            IcwsTestClient.Login l = c.login();
            try (IcwsTestClient.EventStream stream = c.openStream(l)) {
                for (int i = 0; i < 10; i++) { // about 1 s of keep-alives, more than 3 timeouts
                    assertThat(stream.nextLine(WAIT)).isEqualTo(": keep-alive");
                }
                assertThat(c.authed(l, "POST", "messaging/heartbeat", null).statusCode()).isIn(200, 204);
            }
        }
    }

    @Test
    void streamThreadEndsAfterTheClientClosesTheStream() throws Exception {
        IcwsTestClient.Login l = client.login();
        IcwsTestClient.EventStream stream = client.openStream(l);
        assertThat(stream.nextLine(WAIT)).isEqualTo(": keep-alive");
        assertThat(streamThreads()).isPositive();

        stream.close();

        // the server notices at its next keep-alive write (every 200 ms here)
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> streamThreads() == 0);
        assertThat(client.authed(l, "POST", "messaging/heartbeat", null).statusCode()).isIn(200, 204);
    }

    /** Threads currently serving an event stream, seen from their stacks. */
    private static long streamThreads() {
        return Thread.getAllStackTraces().values().stream()
                .filter(stack -> java.util.Arrays.stream(stack).anyMatch(f ->
                        f.getClassName().endsWith(".SimulatorHandler") && f.getMethodName().equals("stream")))
                .count();
    }
}
