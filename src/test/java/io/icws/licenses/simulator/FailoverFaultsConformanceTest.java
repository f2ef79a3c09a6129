package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.icws.licenses.icws.IcwsMessages;
import io.icws.licenses.icws.MalformedMessageException;
import org.junit.jupiter.api.Test;

/**
 * The faults and shapes a failover needs: flat license messages, an administrator's logoff, a server gone for good,
 * a hung server, an oversized event and an event with two JSON values; each from Java and from the admin API.
 */
class FailoverFaultsConformanceTest extends SimulatorTestBase {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String A = "I3_ACCESS_CLIENT";
    private static final String B = "I3_LICENSE_BASIC_STATION";
    private static final String F = "I3_ACCESS_FEEDBACK";

    // ------------------------------------------------------------------ flat license messages

    @Test
    void flatShapeSendsOneMessagePerLicenseForTheSnapshotAndForAChange() {
        sim.setFlatLicenseMessages(true);
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, A, F, B);

        JsonNode snapshot = client.poll(l);
        assertThat(snapshot).hasSize(3);
        List<String> names = new ArrayList<>();
        for (JsonNode m : snapshot) {
            assertThat(m.get("__type").asText()).isEqualTo("urn:inin.com:licenses:licenseMessage");
            assertThat(m.get("isDelta").asBoolean()).isFalse();
            assertThat(m.has("licenseAssignedStatusList")).isFalse();
            names.add(m.get("name").asText() + "=" + m.get("isAssigned").asBoolean());
        }
        assertThat(names).containsExactly(A + "=true", F + "=false", B + "=true");

        sim.setLicenseAssigned("agent1", F, true);
        JsonNode delta = client.poll(l);
        assertThat(delta).hasSize(1);
        assertThat(delta.get(0).toString()).isEqualTo("{\"__type\":\"urn:inin.com:licenses:licenseMessage\","
                + "\"isDelta\":true,\"name\":\"" + F + "\",\"isAssigned\":true}");
    }

    @Test
    void flatShapeFromTheBuilderAndBackToTheListFromTheAdminApi() {
        sim.close();
        sim = IcwsSimulator.builder().port(0).flatLicenseMessages(true).build().start();
        client = new IcwsTestClient(sim.baseUri());
        assertThat(json(client.admin("GET", "license-message-shape", null).body()).get("shape").asText()).isEqualTo("flat");
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, A);
        assertThat(client.poll(l).get(0).has("name")).isTrue();

        HttpResponse<String> r = client.admin("PUT", "license-message-shape", "{\"shape\":\"list\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r.body()).get("shape").asText()).isEqualTo("list");
        assertThat(sim.flatLicenseMessages()).isFalse();
        client.subscribe(l, A);
        assertThat(client.poll(l).get(0).get("licenseAssignedStatusList").size()).isEqualTo(1);

        assertThat(client.admin("PUT", "license-message-shape", "{\"shape\":\"round\"}").statusCode()).isEqualTo(400);
        assertThat(client.admin("PUT", "license-message-shape", "{\"shape\":\"flat\"}").statusCode()).isEqualTo(200);
        assertThat(sim.flatLicenseMessages()).isTrue();
    }

    @Test
    void theFlatShapeIsReadByTheProtocolCodeAsOneLicenseEach() {
        sim.setFlatLicenseMessages(true);
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, A, F);
        IcwsMessages messages = new IcwsMessages();
        List<String> read = new ArrayList<>();
        for (String m : messages.split(client.authed(l, "GET", "messaging/messages", null).body())) {
            var license = messages.licenseMessage(m);
            assertThat(license.snapshot()).isTrue();
            assertThat(license.delta()).as("applied as a delta of its one license").isTrue();
            license.statuses().forEach(s -> read.add(s.name() + "=" + s.assigned()));
        }
        assertThat(read).containsExactly(A + "=true", F + "=false");
    }

    // ------------------------------------------------------------------ an administrator's logoff

    @Test
    void anAdministratorsLogoffSendsDownWithShouldReconnectFalseThenEndsTheSession() throws Exception {
        IcwsTestClient.Login l = client.login();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":");

            HttpResponse<String> r = client.admin("POST", "sessions/logoff",
                    "{\"user\":\"agent1\",\"reason\":\"Maintenance window\"}");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(json(r.body()).get("loggedOff").asInt()).isEqualTo(1);

            JsonNode down = stream.nextData(WAIT);
            assertThat(down.get("__type").asText()).isEqualTo("urn:inin.com:connection:connectionStateChangeMessage");
            assertThat(down.get("newConnectionState").asText()).isEqualTo("down");
            assertThat(down.get("previousConnectionState").asText()).isEqualTo("up");
            assertThat(down.get("shouldReconnect").asBoolean(true)).isFalse();
            assertThat(down.get("reason").asText()).isEqualTo("Maintenance window");
            stream.assertEnds(WAIT);
        }
        assertThat(client.authed(l, "GET", "messaging/messages", null).statusCode()).isEqualTo(401);
    }

    @Test
    void logoffFromJavaEndsOnlyThatUsersSessionsAndKnowsNoStranger() {
        sim.close();
        sim = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo(),
                new SimulatedUser("agent2", "pw2", java.util.Map.of()))).build().start();
        client = new IcwsTestClient(sim.baseUri());
        IcwsTestClient.Login one = client.login();
        IcwsTestClient.Login two = client.login("agent2", "pw2");

        assertThat(sim.logOffByAdministrator("agent1", null)).isEqualTo(1);

        assertThat(client.authed(one, "GET", "messaging/messages", null).statusCode()).isEqualTo(401);
        assertThat(client.authed(two, "GET", "messaging/messages", null).statusCode()).isEqualTo(200);
        assertThat(client.admin("POST", "sessions/logoff", "{\"user\":\"nobody\"}").statusCode()).isEqualTo(404);
        assertThatThrownBy(() -> sim.logOffByAdministrator("nobody", null))
                .isInstanceOf(java.util.NoSuchElementException.class);
        assertThat(json(client.admin("POST", "sessions/logoff", "").body()).get("loggedOff").asInt()).isEqualTo(1);
        assertThat(client.authed(two, "GET", "messaging/messages", null).statusCode()).isEqualTo(401);
    }

    // ------------------------------------------------------------------ gone for good

    @Test
    void goneRefusesConnectionsCutsStreamsAndComesBackOnTheSamePortWithoutTheOldSessions() throws Exception {
        int port = sim.port();
        IcwsTestClient.Login l = client.login();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":");

            sim.stopListening();

            assertThat(sim.isGone()).isTrue();
            stream.assertEnds(WAIT);
        }
        assertThatThrownBy(() -> freshClient().send(features(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);

        sim.startListening();

        assertThat(sim.port()).isEqualTo(port);
        assertThat(freshClient().send(features(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(client.authed(l, "GET", "messaging/messages", null).statusCode())
                .as("a restarted server knows no old session").isEqualTo(401);
        assertThat(client.login().sessionId()).isNotEqualTo(l.sessionId());
    }

    @Test
    void goneFromTheAdminApiAnswersFirstThenComesBackAfterTheGivenTime() {
        HttpResponse<String> r = client.admin("POST", "gone", "{\"backAfterMillis\":1000}");
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(json(r.body()).get("backAfterMillis").asInt()).isEqualTo(1000);

        await().atMost(WAIT).until(sim::isGone);
        assertThatThrownBy(() -> freshClient().send(features(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
        await().atMost(WAIT).until(() -> !sim.isGone());
        assertThat(client.send("GET", "/icws/connection/features", null).statusCode()).isEqualTo(200);

        assertThat(client.admin("POST", "gone", "{\"backAfterMillis\":-1}").statusCode()).isEqualTo(400);
        assertThat(sim.isGone()).isFalse();
    }

    @Test
    void goneWithoutComingBackStaysGone() {
        assertThat(client.admin("POST", "gone", null).statusCode()).isEqualTo(202);
        await().atMost(WAIT).until(sim::isGone);
        assertThatThrownBy(() -> freshClient().send(features(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
        sim.stopListening(); // idempotent
        assertThat(sim.isGone()).isTrue();
    }

    // ------------------------------------------------------------------ hung

    @Test
    void hungAcceptsAndReadsRequestsButNeverAnswersUntilReleased() throws Exception {
        sim.hang();
        CompletableFuture<HttpResponse<String>> held = freshClient().sendAsync(features(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(WAIT).until(() -> sim.heldRequests() == 1);
        assertThat(sim.receivedRequests()).extracting(RecordedRequest::path, RecordedRequest::status)
                .contains(org.assertj.core.groups.Tuple.tuple("/icws/connection/features", 0));
        assertThatThrownBy(() -> freshClient().send(HttpRequest.newBuilder(features().uri())
                .timeout(Duration.ofMillis(300)).GET().build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(held).isNotDone();
        assertThat(client.admin("GET", "requests", null).statusCode()).as("the admin API still answers").isEqualTo(200);

        HttpResponse<String> released = client.admin("DELETE", "hang", null);
        assertThat(released.statusCode()).isEqualTo(200);
        assertThat(json(released.body()).get("released").asInt()).isBetween(1, 2);

        assertThat(held.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).statusCode()).isEqualTo(200);
        assertThat(sim.heldRequests()).isZero();
    }

    @Test
    void hungOnAPathHoldsOnlyThatPath() throws Exception {
        IcwsTestClient.Login l = client.login();
        assertThat(client.admin("POST", "hang", "{\"path\":\"/messaging/messages\"}").statusCode()).isEqualTo(204);

        CompletableFuture<HttpResponse<String>> poll = freshClient().sendAsync(HttpRequest.newBuilder(
                sim.baseUri().resolve("/icws/" + l.sessionId() + "/messaging/messages"))
                .header("Cookie", l.cookieHeader()).GET().build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(WAIT).until(() -> sim.heldRequests() == 1);
        assertThat(client.subscribe(l, A).statusCode()).as("another path is answered").isEqualTo(200);
        assertThat(poll).isNotDone();

        sim.releaseHang();
        assertThat(json(poll.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).body()).get(0).get("isDelta").asBoolean())
                .isFalse();
    }

    @Test
    void hungEventStreamsFreezeAnOpenStreamAndHoldNewOnesWhilePollsAreAnswered() throws Exception {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, A);
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextData(WAIT).get("isDelta").asBoolean()).isFalse();

            sim.hang("/messaging/messages", true);
            await().atMost(WAIT).until(() -> sim.heldRequests() == 1); // the open stream, at its next write
            sim.setLicenseAssigned("agent1", A, false);
            assertThatThrownBy(() -> stream.nextData(Duration.ofMillis(600)))
                    .as("nothing, not even a keep-alive, while hung").isInstanceOf(AssertionError.class);

            sim.releaseHang();
            JsonNode delta = stream.nextData(WAIT);
            assertThat(delta.get("licenseAssignedStatusList").get(0).get("isAssigned").asBoolean()).isFalse();
        }

        sim.hang("/messaging/messages", true);
        CompletableFuture<HttpResponse<java.io.InputStream>> newStream = freshClient().sendAsync(HttpRequest.newBuilder(
                sim.baseUri().resolve("/icws/" + l.sessionId() + "/messaging/messages"))
                .header("Accept", "text/event-stream").header("Cookie", l.cookieHeader()).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        await().atMost(WAIT).until(() -> sim.heldRequests() >= 1);
        assertThat(client.poll(l)).as("a short poll is answered").isNotNull();
        assertThat(newStream).isNotDone();
        sim.releaseHang();
        HttpResponse<java.io.InputStream> opened = newStream.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(opened.statusCode()).isEqualTo(200);
        opened.body().close();
    }

    @Test
    void aRequestHeldWhenTheServerGoesIsCutUnanswered() {
        sim.hang();
        CompletableFuture<HttpResponse<String>> held = freshClient().sendAsync(features(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(WAIT).until(() -> sim.heldRequests() == 1);

        sim.stopListening();

        assertThatThrownBy(() -> held.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(java.util.concurrent.ExecutionException.class)
                .hasCauseInstanceOf(java.io.IOException.class);
        await().atMost(WAIT).until(() -> sim.heldRequests() == 0);
    }

    // ------------------------------------------------------------------ oversized and two-value events

    @Test
    void anOversizedEventCarriesExactlyTheGivenBytesOfDataOnOneLine() throws Exception {
        IcwsTestClient.Login l = client.login();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":");
            int size = 2 << 20;
            CompletableFuture<Integer> written = CompletableFuture.supplyAsync(() -> sim.writeOversizedEvent("agent1", size));

            String line = dataLine(stream);
            assertThat(line.length()).isEqualTo("data:".length() + size);
            assertThat(json(line.substring("data:".length())).get("__type").asText())
                    .isEqualTo("urn:inin.com:simulator:padding");
            assertThat(written.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1);
        }
    }

    @Test
    void anOversizedEventCutIntoLinesHasTheGivenBytesOnceTheLinesAreJoined() throws Exception {
        IcwsTestClient.Login l = client.login();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":");
            HttpResponse<String> r = client.admin("POST", "users/agent1/oversized-event", "{\"bytes\":100,\"lineBytes\":30}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r.body()).get("written").asInt()).isEqualTo(1);

            List<String> values = new ArrayList<>();
            String line = dataLine(stream);
            while (!line.isEmpty()) {
                assertThat(line).startsWith("data:");
                values.add(line.substring("data:".length()));
                line = stream.rawLine(WAIT);
            }
            assertThat(values).allSatisfy(v -> assertThat(v.length()).isLessThanOrEqualTo(30));
            assertThat(String.join("\n", values)).hasSize(100);
        }
        assertThat(client.admin("POST", "users/agent1/oversized-event", "{\"bytes\":0}").statusCode()).isEqualTo(400);
        assertThat(client.admin("POST", "users/nobody/oversized-event", "{\"bytes\":10}").statusCode()).isEqualTo(404);
    }

    @Test
    void aTwoValueEventHoldsBothValuesOnOneDataLineWhichTheProtocolCodeRefuses() throws Exception {
        IcwsTestClient.Login l = client.login();
        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.nextLine(WAIT)).startsWith(":");
            assertThat(sim.writeTwoValueEvent("agent1", "{\"a\":1}", "{\"b\":2}")).isEqualTo(1);
            String data = dataLine(stream).substring("data:".length()).strip();
            assertThat(data).isEqualTo("{\"a\":1} {\"b\":2}");
            assertThatThrownBy(() -> new IcwsMessages().type(data)).isInstanceOf(MalformedMessageException.class);

            HttpResponse<String> r = client.admin("POST", "users/agent1/two-value-event", null);
            assertThat(json(r.body()).get("written").asInt()).isEqualTo(1);
            String two = dataLine(stream).substring("data:".length()).strip();
            assertThat(two).startsWith("{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":true")
                    .contains("} {\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":false");
            assertThatThrownBy(() -> new IcwsMessages().licenseMessage(two)).isInstanceOf(MalformedMessageException.class);
        }
        assertThatThrownBy(() -> sim.writeTwoValueEvent("agent1", "{\"a\":1} {}", "{}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(client.admin("POST", "users/agent1/two-value-event", "{\"first\":{}}").statusCode()).isEqualTo(400);
    }

    // ------------------------------------------------------------------ helpers

    private static String dataLine(IcwsTestClient.EventStream stream) throws InterruptedException {
        while (true) {
            String line = stream.nextLine(WAIT);
            assertThat(line).isNotEqualTo(IcwsTestClient.EventStream.EOF);
            if (line.startsWith("data:")) {
                return line;
            }
        }
    }

    private HttpRequest features() {
        return HttpRequest.newBuilder(sim.baseUri().resolve("/icws/connection/features")).timeout(WAIT).GET().build();
    }

    /** A client with no pooled connection: each test of "refused" opens a new one. */
    private static HttpClient freshClient() {
        return HttpClient.newBuilder().connectTimeout(WAIT).build();
    }
}
