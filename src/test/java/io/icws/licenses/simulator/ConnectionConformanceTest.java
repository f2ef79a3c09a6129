package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static io.icws.licenses.simulator.IcwsTestClient.loginBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectionConformanceTest extends SimulatorTestBase {

    static final String ICWS_JSON = "application/vnd.inin.icws+JSON; charset=utf-8";

    @Test
    void loginAnswers201WithSessionInBodyHeadersLocationAndCookie() {
        HttpResponse<String> r = client.loginRaw(null, loginBody("agent1", "secret"));

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(ICWS_JSON);
        JsonNode body = json(r.body());
        assertThat(body.get("__type").asText()).isEqualTo("urn:inin.com:connection:connectionResponse");
        String sessionId = body.get("sessionId").asText();
        String csrf = body.get("csrfToken").asText();
        assertThat(sessionId).isNotBlank();
        assertThat(csrf).isNotBlank();
        assertThat(body.get("userID").asText()).isEqualTo("agent1");
        assertThat(body.get("userDisplayName").isTextual()).isTrue();
        assertThat(body.get("icServer").isTextual()).isTrue();
        assertThat(body.get("alternateHostList").isArray()).isTrue();
        assertThat(body.get("alternateHostList")).isEmpty();
        assertThat(body.has("features")).isFalse();
        assertThat(body.has("version")).isFalse();
        assertThat(r.headers().firstValue("ININ-ICWS-CSRF-Token")).hasValue(csrf);
        assertThat(r.headers().firstValue("ININ-ICWS-Session-ID")).hasValue(sessionId);
        assertThat(r.headers().firstValue("Location")).hasValue("/icws/" + sessionId + "/connection");
        assertThat(r.headers().firstValue("Set-Cookie").orElseThrow())
                .matches("icws_" + sessionId + "=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}; Path=/icws/"
                        + sessionId + "; HttpOnly");
    }

    @Test
    void loginWithIncludeFeaturesAndVersionAddsBoth() {
        HttpResponse<String> r = client.loginRaw("include=features,version", loginBody("agent1", "secret"));

        assertThat(r.statusCode()).isEqualTo(201);
        JsonNode body = json(r.body());
        assertThat(body.get("features").toString())
                .isEqualTo("[{\"featureId\":\"messaging\",\"version\":2},{\"featureId\":\"licenses\",\"version\":1}]");
        assertThat(body.get("version").isObject()).isTrue();
        assertThat(body.get("version").get("majorVersion").isInt()).isTrue();
    }

    @Test
    void loginWithIncludeVersionOnlyAddsVersionButNotFeatures() {
        JsonNode body = json(client.loginRaw("include=version", loginBody("agent1", "secret")).body());

        assertThat(body.has("version")).isTrue();
        assertThat(body.has("features")).isFalse();
    }

    @Test
    void loginWithoutAcceptLanguageIs400NamingTheHeader() {
        HttpResponse<String> r = client.send("POST", "/icws/connection", loginBody("agent1", "secret"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(ICWS_JSON);
        JsonNode body = json(r.body());
        assertThat(body.get("errorId").asText()).isEqualTo("error.request.missingHeader");
        assertThat(body.get("message").asText()).contains("Accept-Language");
    }

    @Test
    void loginWithInvalidJsonIs400() {
        HttpResponse<String> r = client.loginRaw(null, "{\"__type\": ");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.invalidJson");
        assertThat(json(r.body()).get("message").asText()).isNotBlank();
    }

    @Test
    void loginWithWrongTypeIs400NamingType() {
        HttpResponse<String> r = client.loginRaw(null, loginBody("agent1", "secret")
                .replace("icAuthConnectionRequestSettings", "ssoConnectionRequestSettings"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("message").asText()).contains("__type");
    }

    @ParameterizedTest
    @ValueSource(strings = {"applicationName", "userID", "password"})
    void loginWithMissingFieldIs400NamingTheField(String field) {
        JsonNode body = json(loginBody("agent1", "secret"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove(field);

        HttpResponse<String> r = client.loginRaw(null, body.toString());

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("errorId").asText()).isNotBlank();
        assertThat(json(r.body()).get("message").asText()).contains(field);
    }

    @Test
    void loginWithNonStringFieldIs400NamingTheField() {
        HttpResponse<String> r = client.loginRaw(null, loginBody("agent1", "secret").replace("\"secret\"", "42"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("message").asText()).contains("password");
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent1:wrong", "nobody:secret", "AGENT1:secret"})
    void loginWithBadCredentialsIs400AuthenticationFailure(String credentials) {
        String[] uc = credentials.split(":");
        HttpResponse<String> r = client.loginRaw(null, loginBody(uc[0], uc[1]));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.connection.authenticationFailure");
        assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
    }

    @Test
    void eachLoginGetsItsOwnRandomSessionIdTokenAndCookie() {
        Set<String> values = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            IcwsTestClient.Login l = client.login();
            values.add(l.sessionId());
            values.add(l.csrfToken());
            values.add(l.cookie().substring(l.cookie().indexOf('=') + 1));
            assertThat(l.sessionId().length()).isGreaterThanOrEqualTo(16);
            assertThat(l.csrfToken().length()).isGreaterThanOrEqualTo(16);
        }
        assertThat(values).hasSize(15);
    }

    @Test
    void featuresEndpointListsMessagingV2AndLicensesV1WithoutSession() {
        HttpResponse<String> r = client.send("GET", "/icws/connection/features", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(ICWS_JSON);
        assertThat(r.body()).isEqualTo(
                "{\"featureInfoList\":[{\"featureId\":\"messaging\",\"version\":2},{\"featureId\":\"licenses\",\"version\":1}]}");
    }

    @Test
    void versionEndpointAnswersVersionObjectWithoutSession() {
        HttpResponse<String> r = client.send("GET", "/icws/connection/version", null);

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode v = json(r.body());
        assertThat(v.get("majorVersion").isInt()).isTrue();
        assertThat(v.get("productId").asText()).isNotBlank();
    }

    @Test
    void logoutIs204AndLaterCallsOfThatSessionAre401() {
        IcwsTestClient.Login l = client.login();
        IcwsTestClient.Login other = client.login();

        assertThat(client.authed(l, "DELETE", "connection", null).statusCode()).isEqualTo(204);

        HttpResponse<String> after = client.authed(l, "GET", "messaging/messages", null);
        assertThat(after.statusCode()).isEqualTo(401);
        assertThat(client.authed(other, "GET", "messaging/messages", null).statusCode()).isEqualTo(200);
    }
}
