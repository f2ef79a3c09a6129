package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RobustnessConformanceTest extends SimulatorTestBase {

    @Test
    void bodyOverOneMebibyteIs413WithErrorBody() {
        IcwsTestClient.Login l = client.login();
        String big = "{\"licenseList\":[\"" + "A".repeat(1 << 20) + "\"]}";

        HttpResponse<String> r = client.authed(l, "PUT", "messaging/subscriptions/licenses", big);

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.entityTooLarge");
        assertThat(json(r.body()).get("message").asText()).contains("1048576");
        assertThat(client.poll(l)).as("nothing subscribed").isEmpty();
    }

    @Test
    void bodyOfExactlyOneMebibyteIsRead() {
        String padded = "{\"__type\":\"urn:test:big\",\"isDelta\":false,\"pad\":\"";
        String body = padded + "x".repeat((1 << 20) - padded.length() - 2) + "\"}";
        assertThat(body.length()).isEqualTo(1 << 20);
        IcwsTestClient.Login l = client.login();

        assertThat(client.admin("POST", "users/agent1/messages", body).statusCode()).isIn(200, 204);

        assertThat(client.poll(l).get(0).get("__type").asText()).isEqualTo("urn:test:big");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/nothing", "/icws", "/icws/connection/nothing", "/icws/abc/unknown/resource",
        "/simulator/nothing", "/simulator/users/agent1"})
    void unknownPathIs404WithErrorBody(String path) {
        HttpResponse<String> r = client.send("GET", path, null);

        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode body = json(r.body());
        assertThat(body.get("errorId").asText()).isEqualTo("error.request.notFound");
        assertThat(body.get("message").asText()).contains(path);
    }

    @Test
    void wrongMethodOnAKnownPathIs405WithAllowAndErrorBody() {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> login = client.send("GET", "/icws/connection", null);
        HttpResponse<String> subscribe = client.authed(l, "POST", "messaging/subscriptions/licenses", "{}");
        HttpResponse<String> admin = client.admin("GET", "faults", null);

        assertThat(login.statusCode()).isEqualTo(405);
        assertThat(login.headers().firstValue("Allow")).hasValue("POST");
        assertThat(json(login.body()).get("errorId").asText()).isEqualTo("error.request.methodNotAllowed");
        assertThat(subscribe.statusCode()).isEqualTo(405);
        assertThat(subscribe.headers().firstValue("Allow")).hasValue("PUT, DELETE");
        assertThat(admin.statusCode()).isEqualTo(405);
        assertThat(json(admin.body()).get("message").asText()).contains("GET");
    }

    @Test
    void adminRequestWithInvalidJsonIs400() {
        HttpResponse<String> r = client.admin("POST", "faults", "{status: 500");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.invalidJson");
    }

    @Test
    void requestLogListsIcwsRequestsInOrderWithoutAdminOnes() {
        Instant before = Instant.now();
        IcwsTestClient.Login l = client.login();
        client.setLicense("agent1", "I3_ACCESS_CLIENT", false);
        client.poll(l);
        client.send("GET", "/icws/" + l.sessionId() + "/messaging/messages", null); // no cookie: 401

        HttpResponse<String> r = client.admin("GET", "requests", null);

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode log = json(r.body());
        assertThat(log).hasSize(3);
        String messages = "/icws/" + l.sessionId() + "/messaging/messages";
        assertThat(log.get(0).toString()).startsWith("{\"method\":\"POST\",\"path\":\"/icws/connection\",\"status\":201,\"time\":\"");
        assertThat(log.get(1).get("path").asText()).isEqualTo(messages);
        assertThat(log.get(1).get("status").asInt()).isEqualTo(200);
        assertThat(log.get(2).get("status").asInt()).isEqualTo(401);
        assertThat(Instant.parse(log.get(2).get("time").asText())).isAfterOrEqualTo(before);
        assertThat(sim.requests()).extracting(RecordedRequest::method, RecordedRequest::path, RecordedRequest::status)
                .containsExactly(tuple("POST", "/icws/connection", 201), tuple("GET", messages, 200),
                        tuple("GET", messages, 401));
    }

    @Test
    void deleteRequestsClearsTheLog() {
        client.login();

        assertThat(client.admin("DELETE", "requests", null).statusCode()).isIn(200, 204);

        assertThat(client.admin("GET", "requests", null).body()).isEqualTo("[]");
        assertThat(sim.requests()).isEmpty();
    }
}
