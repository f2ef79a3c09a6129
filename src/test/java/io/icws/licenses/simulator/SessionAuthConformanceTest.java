package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.CSRF;
import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class SessionAuthConformanceTest extends SimulatorTestBase {

    static final String WWW_AUTHENTICATE = "ICWS realm=\"ICWS\" location=\"/ICWS/connection\"";

    private static void assertUnauthorized(HttpResponse<String> r) {
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue(WWW_AUTHENTICATE);
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo("error.request.unauthorized");
        assertThat(json(r.body()).get("message").asText()).isNotBlank();
    }

    private HttpResponse<String> heartbeat(IcwsTestClient.Login l, String... headers) {
        return client.send("POST", "/icws/" + l.sessionId() + "/messaging/heartbeat", null, headers);
    }

    @Test
    void requestWithCookieAndCsrfIsAccepted() {
        IcwsTestClient.Login l = client.login();

        assertThat(heartbeat(l, CSRF, l.csrfToken(), "Cookie", l.cookie()).statusCode()).isIn(200, 204);
    }

    @Test
    void requestWithoutCsrfHeaderIs401WithWwwAuthenticate() {
        IcwsTestClient.Login l = client.login();

        assertUnauthorized(heartbeat(l, "Cookie", l.cookie()));
    }

    @Test
    void requestWithWrongCsrfHeaderIs401() {
        IcwsTestClient.Login l = client.login();

        assertUnauthorized(heartbeat(l, CSRF, l.csrfToken() + "x", "Cookie", l.cookie()));
    }

    @Test
    void requestWithoutCookieIs401() {
        IcwsTestClient.Login l = client.login();

        assertUnauthorized(heartbeat(l, CSRF, l.csrfToken()));
    }

    @Test
    void requestWithWrongCookieValueIs401() {
        IcwsTestClient.Login l = client.login();

        assertUnauthorized(heartbeat(l, CSRF, l.csrfToken(), "Cookie", "icws_" + l.sessionId() + "=not-the-guid"));
    }

    @Test
    void cookieOfAnotherSessionIsRejected() {
        IcwsTestClient.Login l = client.login();
        IcwsTestClient.Login other = client.login();

        assertUnauthorized(heartbeat(l, CSRF, l.csrfToken(), "Cookie", other.cookie()));
        assertUnauthorized(heartbeat(l, CSRF, other.csrfToken(), "Cookie", l.cookie()));
    }

    @Test
    void sessionCookieIsFoundAmongSeveralCookies() {
        IcwsTestClient.Login l = client.login();
        IcwsTestClient.Login other = client.login();

        HttpResponse<String> r = heartbeat(l, CSRF, l.csrfToken(),
                "Cookie", "theme=dark; " + other.cookie() + "; " + l.cookie() + "; lang=en");

        assertThat(r.statusCode()).isIn(200, 204);
    }

    @Test
    void unknownSessionIdIs401() {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> r = client.send("POST", "/icws/0123456789abcdef/messaging/heartbeat", null,
                CSRF, l.csrfToken(), "Cookie", "icws_0123456789abcdef=" + l.cookie().split("=")[1]);

        assertUnauthorized(r);
    }

    @Test
    void shortPollAuthenticatesByCookieAlone() {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> r = client.send("GET", "/icws/" + l.sessionId() + "/messaging/messages", null,
                "Cookie", l.cookie());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("[]");
    }

    @Test
    void shortPollWithWrongCsrfHeaderIs401() {
        IcwsTestClient.Login l = client.login();

        assertUnauthorized(client.send("GET", "/icws/" + l.sessionId() + "/messaging/messages", null,
                CSRF, "forged", "Cookie", l.cookie()));
    }

    @Test
    void shortPollWithoutCookieIs401() {
        IcwsTestClient.Login l = client.login();

        assertUnauthorized(client.send("GET", "/icws/" + l.sessionId() + "/messaging/messages", null,
                CSRF, l.csrfToken()));
    }

    @Test
    void heartbeatAnswers2xx() {
        IcwsTestClient.Login l = client.login();

        assertThat(client.authed(l, "POST", "messaging/heartbeat", null).statusCode()).isIn(200, 204);
    }

    @Test
    void sessionUnusedForTheTimeoutIsDropped() {
        try (IcwsSimulator shortLived = IcwsSimulator.builder().port(0)
                .sessionTimeout(Duration.ofMillis(300)).build().start()) {
            IcwsTestClient c = new IcwsTestClient(shortLived.baseUri());
            IcwsTestClient.Login l = c.login();
            assertThat(c.authed(l, "POST", "messaging/heartbeat", null).statusCode()).isIn(200, 204);

            await().atMost(Duration.ofSeconds(3)).pollDelay(Duration.ofMillis(400)).pollInterval(Duration.ofMillis(100))
                    .until(() -> c.authed(l, "POST", "messaging/heartbeat", null).statusCode() == 401);
        }
    }

    @Test
    void requestsKeepTheSessionAliveBeyondTheTimeout() {
        try (IcwsSimulator shortLived = IcwsSimulator.builder().port(0)
                .sessionTimeout(Duration.ofMillis(800)).build().start()) {
            IcwsTestClient c = new IcwsTestClient(shortLived.baseUri());
            IcwsTestClient.Login l = c.login();

            // polls every 100 ms for 2 s (> 2 timeouts): every poll must succeed
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(100))
                    .until(() -> c.authed(l, "GET", "messaging/messages", null).statusCode() == 200);
        }
    }
}
