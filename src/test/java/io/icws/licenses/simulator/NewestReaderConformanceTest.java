package io.icws.licenses.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/**
 * "The newest reader of a session gets the messages": each message is delivered once per session; a new event stream
 * or a short poll supersedes the session's older streams, which take no more messages and are ended by the server;
 * nothing queued while no stream reads is lost.
 *
 * <p>The keep-alive interval is 30 s here, so no keep-alive write reveals that a client has left: the streams'
 * server threads are still waiting when the changes are made, as in the bug this rule fixes (a change made within
 * one keep-alive interval after a stream closed was written into the dead socket and lost).
 */
class NewestReaderConformanceTest extends SimulatorTestBase {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String FEEDBACK = "I3_ACCESS_FEEDBACK"; // the demo user starts without it

    @Override
    protected IcwsSimulator.Builder configure(IcwsSimulator.Builder builder) {
        return builder.keepAliveInterval(Duration.ofSeconds(30));
    }

    private IcwsTestClient.Login subscribedSession() {
        IcwsTestClient.Login l = client.login();
        assertThat(client.subscribe(l, FEEDBACK).statusCode()).isEqualTo(200);
        return l;
    }

    private void change(boolean assigned) {
        HttpResponse<String> r = client.setLicense("agent1", FEEDBACK, assigned);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(IcwsTestClient.json(r.body()).get("changed").asBoolean()).as(r.body()).isTrue();
    }

    private static void assertSnapshot(JsonNode m) {
        assertThat(m.get("isDelta").asBoolean()).as(m.toString()).isFalse();
    }

    private static void assertDelta(JsonNode m, boolean assigned) {
        assertThat(m.toString()).isEqualTo("{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":true,"
                + "\"licenseAssignedStatusList\":[{\"name\":\"" + FEEDBACK + "\",\"isAssigned\":" + assigned + "}]}");
    }

    @Test
    void aChangeMadeAfterTheClientClosedItsStreamGoesToTheNextStream() throws Exception {
        IcwsTestClient.Login l = subscribedSession();
        try (IcwsTestClient.EventStream first = client.openStream(l)) {
            assertSnapshot(first.nextData(WAIT));
        } // closed by the client; its server thread is still waiting for a message

        change(true);

        try (IcwsTestClient.EventStream second = client.openStream(l)) {
            assertDelta(second.nextData(WAIT), true);
        }
        assertThat(client.poll(l)).as("delivered once").isEmpty();
    }

    @Test
    void aChangeMadeAfterTheClientClosedItsStreamIsReturnedByTheNextPoll() throws Exception {
        IcwsTestClient.Login l = subscribedSession();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertSnapshot(stream.nextData(WAIT));
        }

        change(true);

        JsonNode polled = client.poll(l);
        assertThat(polled).hasSize(1);
        assertDelta(polled.get(0), true);
        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void severalChangesMadeAfterTheClientClosedItsStreamAllReachTheNextStreamInOrder() throws Exception {
        IcwsTestClient.Login l = subscribedSession();
        try (IcwsTestClient.EventStream first = client.openStream(l)) {
            assertSnapshot(first.nextData(WAIT));
        }

        change(true);
        change(false);
        change(true);

        try (IcwsTestClient.EventStream second = client.openStream(l)) {
            assertDelta(second.nextData(WAIT), true);
            assertDelta(second.nextData(WAIT), false);
            assertDelta(second.nextData(WAIT), true);
        }
        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void aSecondStreamOnTheSessionEndsTheFirstAndGetsEveryLaterMessageExactlyOnce() throws Exception {
        IcwsTestClient.Login l = subscribedSession();
        try (IcwsTestClient.EventStream first = client.openStream(l)) {
            assertSnapshot(first.nextData(WAIT));

            try (IcwsTestClient.EventStream second = client.openStream(l)) {
                first.assertEnds(WAIT); // ended by the server, with no data line

                change(true);
                change(false);

                assertDelta(second.nextData(WAIT), true);
                assertDelta(second.nextData(WAIT), false); // the next data is the next change, not a copy
            }
        }
        assertThat(client.poll(l)).as("nothing left over, nothing twice").isEmpty();
    }

    @Test
    void aShortPollWhileAStreamIsOpenEndsTheStreamAndLaterMessagesGoToThePoll() throws Exception {
        IcwsTestClient.Login l = subscribedSession();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertSnapshot(stream.nextData(WAIT));

            assertThat(client.poll(l)).as("the snapshot went to the stream, once").isEmpty();
            stream.assertEnds(WAIT); // ended by the server

            change(true);

            JsonNode polled = client.poll(l);
            assertThat(polled).hasSize(1);
            assertDelta(polled.get(0), true);
        }
    }

    @Test
    void aShortPollAfterTheClientClosedItsStreamReturnsSeveralChangesInOrder() throws Exception {
        IcwsTestClient.Login l = subscribedSession();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertSnapshot(stream.nextData(WAIT));
        }

        change(true);
        change(false);
        change(true);

        JsonNode polled = client.poll(l);
        assertThat(polled).hasSize(3);
        assertDelta(polled.get(0), true);
        assertDelta(polled.get(1), false);
        assertDelta(polled.get(2), true);
        assertThat(client.poll(l)).isEmpty();
    }
}
