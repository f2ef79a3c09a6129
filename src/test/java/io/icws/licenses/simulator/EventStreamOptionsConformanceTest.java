package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.NoSuchElementException;

import org.junit.jupiter.api.Test;

/** Messaging version, refused streams, raw event-stream frames and the open-stream count. */
class EventStreamOptionsConformanceTest extends SimulatorTestBase {

    static final Duration WAIT = Duration.ofSeconds(5);

    @Override
    protected IcwsSimulator.Builder configure(IcwsSimulator.Builder builder) {
        return builder.keepAliveInterval(Duration.ofSeconds(30)); // no keep-alive lines between the frames
    }

    private static IcwsSimulator started(IcwsSimulator.Builder builder) {
        return builder.port(0).build().start();
    }

    // ---------------------------------------------------------------- messaging version and refused streams

    @Test
    void messagingVersion1IsReportedAndAStreamRequestAnswers406WhilePollingWorks() {
        try (IcwsSimulator v1 = started(IcwsSimulator.builder().messagingVersion(1))) {
            IcwsTestClient c = new IcwsTestClient(v1.baseUri());
            assertThat(c.send("GET", "/icws/connection/features", null).body()).isEqualTo(
                    "{\"featureInfoList\":[{\"featureId\":\"messaging\",\"version\":1},{\"featureId\":\"licenses\",\"version\":1}]}");
            HttpResponse<String> login = c.loginRaw("include=features", IcwsTestClient.loginBody("agent1", "secret"));
            assertThat(json(login.body()).get("features").get(0).toString())
                    .isEqualTo("{\"featureId\":\"messaging\",\"version\":1}");
            IcwsTestClient.Login l = c.login();
            c.subscribe(l, "I3_ACCESS_CLIENT");

            HttpResponse<String> r = c.streamRequest(l);

            assertThat(r.statusCode()).isEqualTo(406);
            assertThat(r.headers().firstValue("Content-Type")).hasValue(SimulatorHandler.ICWS_JSON);
            JsonNode body = json(r.body());
            assertThat(body.get("errorId").asText()).isEqualTo("error.request.notAcceptable");
            assertThat(body.get("message").asText()).isNotBlank();
            assertThat(v1.openStreams()).isZero();
            assertThat(c.poll(l)).hasSize(1); // the snapshot is still queued for polls
        }
    }

    @Test
    void eventStreamsOffAnswersAStreamRequest404ButStillReportsMessagingVersion2() {
        try (IcwsSimulator noStreams = started(IcwsSimulator.builder().eventStreams(false))) {
            IcwsTestClient c = new IcwsTestClient(noStreams.baseUri());
            assertThat(c.send("GET", "/icws/connection/features", null).body())
                    .contains("{\"featureId\":\"messaging\",\"version\":2}");
            IcwsTestClient.Login l = c.login();

            HttpResponse<String> r = c.streamRequest(l);

            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.notFound");
            assertThat(c.poll(l)).isEmpty();
        }
    }

    @Test
    void aRefusedStreamRequestStillNeedsAValidSession() {
        try (IcwsSimulator v1 = started(IcwsSimulator.builder().messagingVersion(1))) {
            IcwsTestClient c = new IcwsTestClient(v1.baseUri());
            IcwsTestClient.Login l = c.login();
            IcwsTestClient.Login forged = new IcwsTestClient.Login(l.sessionId(), l.csrfToken(),
                    "icws_" + l.sessionId() + "=wrong", l.response());

            assertThat(c.streamRequest(forged).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void messagingVersionBelow1IsRejectedByTheBuilder() {
        assertThatThrownBy(() -> IcwsSimulator.builder().messagingVersion(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- raw frames

    @Test
    void adminFrameIsWrittenToTheOpenStreamExactlyAsGiven() throws Exception {
        IcwsTestClient.Login l = client.login();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            String frame = "id: 7\nretry: 3000\nevent: message\ndata: {\"__type\":\"urn:test:split\",\n"
                    + "data: \"isDelta\":true}\n\n";

            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            sim.baseUri().resolve("/simulator/users/agent1/event-stream-frames"))
                    .header("Content-Type", "text/plain; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofString(frame)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"written\":1}");
            for (String expected : new String[] {"id: 7", "retry: 3000", "event: message",
                    "data: {\"__type\":\"urn:test:split\",", "data: \"isDelta\":true}", ""}) {
                assertThat(stream.rawLine(WAIT)).isEqualTo(expected);
            }

            assertThat(sim.writeEventStreamFrame("agent1", ": comment\n\n")).isEqualTo(1);
            assertThat(stream.rawLine(WAIT)).isEqualTo(": comment");
            assertThat(stream.rawLine(WAIT)).isEmpty();

            // messages still flow on the same stream afterwards
            sim.queueMessage("agent1", "{\"__type\":\"urn:test:after\",\"isDelta\":false}");
            assertThat(stream.nextData(WAIT).get("__type").asText()).isEqualTo("urn:test:after");
        }
    }

    @Test
    void framesAreNotQueuedWhenNoStreamIsOpen() {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> r = client.admin("POST", "users/agent1/event-stream-frames", "data: {}\n\n");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"written\":0}");
        assertThat(client.poll(l)).isEmpty();
        assertThat(sim.writeEventStreamFrame("agent1", "data: {}\n\n")).isZero();
    }

    @Test
    void aFrameGoesToTheNewestStreamOfEachSessionOfTheUser() throws Exception {
        IcwsTestClient.Login a = client.login();
        IcwsTestClient.Login b = client.login();
        try (IcwsTestClient.EventStream a1 = client.openStream(a);
             IcwsTestClient.EventStream a2 = client.openStream(a);
             IcwsTestClient.EventStream b1 = client.openStream(b)) {
            a1.assertEnds(WAIT); // superseded by a2

            assertThat(sim.writeEventStreamFrame("agent1", ": hello\n\n")).isEqualTo(2);

            assertThat(a2.nextLine(WAIT)).isEqualTo(": hello");
            assertThat(b1.nextLine(WAIT)).isEqualTo(": hello");
        }
    }

    @Test
    void frameAdminCallRejectsUnknownUsersAndEmptyFrames() {
        assertThat(client.admin("POST", "users/nobody/event-stream-frames", "data: {}\n\n").statusCode()).isEqualTo(404);
        assertThat(client.admin("POST", "users/agent1/event-stream-frames", "").statusCode()).isEqualTo(400);
        assertThat(client.admin("GET", "users/agent1/event-stream-frames", null).statusCode()).isEqualTo(405);
        assertThatThrownBy(() -> sim.writeEventStreamFrame("nobody", "data: {}\n\n"))
                .isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> sim.writeEventStreamFrame("agent1", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- dropped streams

    @Test
    void dropEventStreamsCutsEveryStreamButKeepsTheSessionsAndTheirMessages() throws Exception {
        IcwsTestClient.Login a = client.login();
        IcwsTestClient.Login b = client.login();
        client.subscribe(a, "I3_ACCESS_FEEDBACK");
        try (IcwsTestClient.EventStream a1 = client.openStream(a);
             IcwsTestClient.EventStream b1 = client.openStream(b)) {
            assertThat(a1.nextData(WAIT).get("isDelta").asBoolean()).isFalse();

            assertThat(sim.dropEventStreams()).isEqualTo(2);

            assertThat(a1.nextLine(WAIT)).isEqualTo(": closed by the simulator");
            a1.assertEnds(WAIT);
            b1.assertEnds(WAIT);
            await().atMost(WAIT).until(() -> sim.openStreams() == 0);
        }
        sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", true);
        try (IcwsTestClient.EventStream a2 = client.openStream(a)) {
            assertThat(a2.nextData(WAIT).get("isDelta").asBoolean()).isTrue();
        }
        assertThat(client.authed(b, "POST", "messaging/heartbeat", null).statusCode()).isEqualTo(204);
        // a2 was closed by the client; the server has not written to it since, so it still counts
        assertThat(sim.dropEventStreams()).isEqualTo(1);
        await().atMost(WAIT).until(() -> sim.openStreams() == 0);
        assertThat(sim.dropEventStreams()).isZero();
        assertThat(client.poll(a)).as("the delta a2 read is not handed out again").isEmpty();
    }

    // ---------------------------------------------------------------- open streams

    @Test
    void openStreamsCountsTheStreamsBeingServed() throws Exception {
        assertThat(sim.openStreams()).isZero();
        IcwsTestClient.Login a = client.login();
        IcwsTestClient.Login b = client.login();

        try (IcwsTestClient.EventStream a1 = client.openStream(a)) {
            assertThat(sim.openStreams()).isEqualTo(1); // counted before the answer's headers go out
            try (IcwsTestClient.EventStream a2 = client.openStream(a);
                 IcwsTestClient.EventStream b1 = client.openStream(b)) {
                a1.assertEnds(WAIT);
                await().atMost(WAIT).until(() -> sim.openStreams() == 2);

                sim.expireSessions();

                a2.nextData(WAIT); // connectionStateChange down
                a2.assertEnds(WAIT);
                b1.nextData(WAIT);
                b1.assertEnds(WAIT);
                await().atMost(WAIT).until(() -> sim.openStreams() == 0);
            }
        }
    }
}
