package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static io.icws.licenses.simulator.IcwsTestClient.loginBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FaultConformanceTest extends SimulatorTestBase {

    private HttpResponse<String> addFault(String json) {
        HttpResponse<String> r = client.admin("POST", "faults", json);
        assertThat(r.statusCode()).as("add fault: %s", r.body()).isIn(200, 201, 204);
        return r;
    }

    private HttpResponse<String> features() {
        return client.send("GET", "/icws/connection/features", null);
    }

    @ParameterizedTest(name = "status {0}")
    @CsvSource({
        "500, error.server.internal",
        "410, error.request.gone",
        "400, error.request.invalidRepresentation",
    })
    void faultAnswersTheStatusWithAnErrorBodyOnceThenNormally(int status, String errorId) {
        addFault("{\"status\":" + status + "}");

        HttpResponse<String> faulted = features();

        assertThat(faulted.statusCode()).isEqualTo(status);
        assertThat(faulted.headers().firstValue("Content-Type")).hasValue("application/vnd.inin.icws+JSON; charset=utf-8");
        assertThat(json(faulted.body()).get("errorId").asText()).isEqualTo(errorId);
        assertThat(json(faulted.body()).get("message").asText()).isNotBlank();
        assertThat(features().statusCode()).isEqualTo(200);
    }

    @Test
    void fault503CarriesAlternateHostListOnLogin() {
        addFault("{\"status\":503,\"path\":\"/icws/connection\",\"alternateHostList\":[\"cic2.example.com\",\"cic3\"]}");

        HttpResponse<String> r = client.loginRaw(null, loginBody("agent1", "secret"));

        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = json(r.body());
        assertThat(body.get("alternateHostList").toString()).isEqualTo("[\"cic2.example.com\",\"cic3\"]");
        assertThat(body.get("message").asText()).isNotBlank();
        assertThat(client.loginRaw(null, loginBody("agent1", "secret")).statusCode()).isEqualTo(201);
    }

    @Test
    void fault401CarriesWwwAuthenticate() {
        IcwsTestClient.Login l = client.login();
        addFault("{\"status\":401,\"path\":\"/messaging/messages\"}");

        HttpResponse<String> r = client.authed(l, "GET", "messaging/messages", null);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("ICWS realm=\"ICWS\" location=\"/ICWS/connection\"");
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.unauthorized");
    }

    @Test
    void faultWithErrorIdUsesIt() {
        addFault("{\"status\":500,\"errorId\":\"error.custom.boom\"}");

        assertThat(json(features().body()).get("errorId").asText()).isEqualTo("error.custom.boom");
    }

    @Test
    void faultOnlyMatchesPathsContainingItsSubstring() {
        IcwsTestClient.Login l = client.login();
        addFault("{\"status\":500,\"path\":\"subscriptions/licenses\"}");

        assertThat(client.authed(l, "GET", "messaging/messages", null).statusCode()).isEqualTo(200);
        assertThat(features().statusCode()).isEqualTo(200);
        assertThat(client.subscribe(l, "I3_ACCESS_CLIENT").statusCode()).isEqualTo(500);
        assertThat(client.subscribe(l, "I3_ACCESS_CLIENT").statusCode()).isEqualTo(200);
    }

    @Test
    void faultTimesCountsMatchingRequests() {
        addFault("{\"status\":500,\"times\":3}");

        assertThat(List.of(features().statusCode(), features().statusCode(), features().statusCode(),
                features().statusCode())).containsExactly(500, 500, 500, 200);
    }

    @Test
    void faultDelayDelaysTheAnswerThenAnswersNormally() {
        addFault("{\"status\":0,\"delayMillis\":400,\"path\":\"features\"}");

        long start = System.nanoTime();
        HttpResponse<String> r = features();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(json(r.body()).has("featureInfoList")).isTrue();
    }

    @Test
    void faultDelayWithStatusDelaysThenAnswersTheStatus() {
        sim.addFault(new Fault(503, 1, null, List.of("peer"), 300));

        long start = System.nanoTime();
        HttpResponse<String> r = features();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(json(r.body()).get("alternateHostList").get(0).asText()).isEqualTo("peer");
    }

    @Test
    void deleteFaultsClearsPendingFaults() {
        addFault("{\"status\":500,\"times\":5}");

        assertThat(client.admin("DELETE", "faults", null).statusCode()).isIn(200, 204);

        assertThat(features().statusCode()).isEqualTo(200);
    }

    @Test
    void javaApiAddAndClearFaults() {
        sim.addFault(Fault.of(410));
        assertThat(features().statusCode()).isEqualTo(410);

        sim.addFault(Fault.of(500, 2, null));
        sim.clearFaults();
        assertThat(features().statusCode()).isEqualTo(200);
    }

    @Test
    void faultsDoNotApplyToAdminRequests() {
        addFault("{\"status\":500}");

        assertThat(client.admin("GET", "requests", null).statusCode()).isEqualTo(200);
        assertThat(features().statusCode()).isEqualTo(500);
    }

    @Test
    void receivedRequestsListsARequestHeldByADelayAtItsArrivalThenWithItsStatus() throws Exception {
        sim.addFault(new Fault(503, 1, "features", List.of(), 1_000));
        java.time.Instant before = java.time.Instant.now();
        java.util.concurrent.CompletableFuture<HttpResponse<String>> answer =
                java.util.concurrent.CompletableFuture.supplyAsync(this::features);

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !sim.receivedRequests().isEmpty());
        RecordedRequest held = sim.receivedRequests().get(0);
        assertThat(held.path()).isEqualTo("/icws/connection/features");
        assertThat(held.status()).as("not answered yet").isZero();
        assertThat(held.time()).isAfterOrEqualTo(before.minusMillis(5));
        assertThat(sim.requests()).as("answered ones only").isEmpty();

        assertThat(answer.get(5, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(sim.receivedRequests()).extracting(RecordedRequest::status, RecordedRequest::time)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(503, held.time()));
        assertThat(sim.requests().get(0).time()).isAfterOrEqualTo(held.time().plusMillis(1_000));

        sim.clearRequests();
        assertThat(sim.receivedRequests()).isEmpty();
        assertThat(sim.requests()).isEmpty();
    }

    @Test
    void faultedRequestsAreRecordedInTheRequestLog() {
        addFault("{\"status\":503,\"alternateHostList\":[]}");

        features();

        assertThat(sim.requests()).extracting(RecordedRequest::method, RecordedRequest::path, RecordedRequest::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("GET", "/icws/connection/features", 503));
    }

    @Test
    void invalidFaultIs400() {
        assertThat(client.admin("POST", "faults", "{\"times\":2}").statusCode()).isEqualTo(400);
        assertThat(client.admin("POST", "faults", "{\"status\":\"500\"}").statusCode()).isEqualTo(400);
        assertThat(client.admin("POST", "faults", "{\"status\":500,\"times\":-1}").statusCode()).isEqualTo(400);
        assertThat(client.admin("POST", "faults", "{\"status\":0}").statusCode()).isEqualTo(400);
        assertThat(client.admin("POST", "faults", "{\"status\":503,\"alternateHostList\":\"x\"}").statusCode())
                .isEqualTo(400);
        assertThat(features().statusCode()).isEqualTo(200);
    }
}
