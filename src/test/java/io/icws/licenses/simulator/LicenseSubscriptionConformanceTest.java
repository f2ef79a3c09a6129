package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.NoSuchElementException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LicenseSubscriptionConformanceTest extends SimulatorTestBase {

    static final String LICENSE_MESSAGE = "urn:inin.com:licenses:licenseMessage";

    private static String snapshot(boolean isDelta, String statusList) {
        return "{\"__type\":\"" + LICENSE_MESSAGE + "\",\"isDelta\":" + isDelta
                + ",\"licenseAssignedStatusList\":[" + statusList + "]}";
    }

    private static String status(String name, boolean assigned) {
        return "{\"name\":\"" + name + "\",\"isAssigned\":" + assigned + "}";
    }

    @Test
    void subscribeAnswers200AndQueuesOneFullSnapshotInSubscriptionOrder() {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> r = client.subscribe(l, "I3_ACCESS_FEEDBACK", "I3_FEATURE_ICWS_SDK", "I3_ACCESS_CLIENT");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isIn("", "{}");
        JsonNode messages = client.poll(l);
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).toString()).isEqualTo(snapshot(false,
                status("I3_ACCESS_FEEDBACK", false) + "," + status("I3_FEATURE_ICWS_SDK", false) + ","
                        + status("I3_ACCESS_CLIENT", true)));
        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void subscribeAgainReplacesTheSubscriptionAndSendsANewSnapshot() {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_ACCESS_CLIENT");
        client.subscribe(l, "I3_ACCESS_FEEDBACK");
        JsonNode snapshots = client.poll(l);
        assertThat(snapshots).hasSize(2);
        assertThat(snapshots.get(1).toString()).isEqualTo(snapshot(false, status("I3_ACCESS_FEEDBACK", false)));

        client.setLicense("agent1", "I3_ACCESS_CLIENT", false);
        assertThat(client.poll(l)).as("no longer subscribed to I3_ACCESS_CLIENT").isEmpty();

        client.setLicense("agent1", "I3_ACCESS_FEEDBACK", true);
        assertThat(client.poll(l).toString()).isEqualTo("[" + snapshot(true, status("I3_ACCESS_FEEDBACK", true)) + "]");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON             | licenseList:[                          | error.request.invalidJson           | JSON",
        "licenseList missing  | {\"licenses\":[\"I3_ACCESS_CLIENT\"]}  | error.request.invalidRepresentation | licenseList",
        "licenseList empty    | {\"licenseList\":[]}                   | error.request.invalidRepresentation | at least one",
        "licenseList a string | {\"licenseList\":\"I3_ACCESS_CLIENT\"} | error.request.invalidRepresentation | array",
        "element not a string | {\"licenseList\":[\"I3_ACCESS_CLIENT\",7]} | error.request.invalidRepresentation | licenseList[1]",
        "body not an object   | [\"I3_ACCESS_CLIENT\"]                 | error.request.invalidRepresentation | licenseList",
    })
    void invalidSubscriptionBodyIs400NamingTheProblem(String problem, String body, String errorId, String inMessage) {
        IcwsTestClient.Login l = client.login();

        HttpResponse<String> r = client.authed(l, "PUT", "messaging/subscriptions/licenses", body);

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r.body()).get("errorId").asText()).isEqualTo(errorId);
        assertThat(json(r.body()).get("message").asText()).contains(inMessage);
        assertThat(client.poll(l)).as("no snapshot for a rejected subscription").isEmpty();
    }

    @Test
    void unsubscribeAnswers204AndStopsLicenseMessages() {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_ACCESS_CLIENT");
        client.poll(l);

        assertThat(client.authed(l, "DELETE", "messaging/subscriptions/licenses", null).statusCode()).isEqualTo(204);
        client.setLicense("agent1", "I3_ACCESS_CLIENT", false);

        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void adminChangeQueuesDeltaOnlyToSessionsSubscribedToThatLicense() {
        IcwsTestClient.Login subscribed = client.login();
        IcwsTestClient.Login otherLicense = client.login();
        IcwsTestClient.Login notSubscribed = client.login();
        client.subscribe(subscribed, "I3_ACCESS_CLIENT", "I3_ACCESS_FEEDBACK");
        client.subscribe(otherLicense, "I3_ACCESS_CLIENT");
        client.poll(subscribed);
        client.poll(otherLicense);

        HttpResponse<String> r = client.setLicense("agent1", "I3_ACCESS_FEEDBACK", true);

        assertThat(r.statusCode()).isIn(200, 204);
        assertThat(client.poll(subscribed).toString())
                .isEqualTo("[" + snapshot(true, status("I3_ACCESS_FEEDBACK", true)) + "]");
        assertThat(client.poll(otherLicense)).isEmpty();
        assertThat(client.poll(notSubscribed)).isEmpty();
    }

    @Test
    void adminSettingTheSameValueQueuesNothing() {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_ACCESS_CLIENT", "I3_ACCESS_FEEDBACK", "I3_FEATURE_ICWS_SDK");
        client.poll(l);

        client.setLicense("agent1", "I3_ACCESS_CLIENT", true);
        client.setLicense("agent1", "I3_ACCESS_FEEDBACK", false);
        client.setLicense("agent1", "I3_FEATURE_ICWS_SDK", false);

        assertThat(client.poll(l)).isEmpty();
    }

    @Test
    void adminChangeForUnknownUserIs404() {
        HttpResponse<String> r = client.setLicense("nobody", "I3_ACCESS_CLIENT", true);

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r.body()).get("message").asText()).contains("nobody");
    }

    @Test
    void adminChangeWithInvalidBodyIs400() {
        assertThat(client.admin("PUT", "users/agent1/licenses/I3_ACCESS_CLIENT", "{\"assigned\":\"yes\"}").statusCode())
                .isEqualTo(400);
        assertThat(client.admin("PUT", "users/agent1/licenses/I3_ACCESS_CLIENT", "nope").statusCode()).isEqualTo(400);
    }

    @Test
    void licenseTheUserDidNotHaveBecomesKnownWhenAssigned() {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_FEATURE_ICWS_SDK");
        assertThat(client.poll(l).get(0).toString()).isEqualTo(snapshot(false, status("I3_FEATURE_ICWS_SDK", false)));

        client.setLicense("agent1", "I3_FEATURE_ICWS_SDK", true);
        assertThat(client.poll(l).toString()).isEqualTo("[" + snapshot(true, status("I3_FEATURE_ICWS_SDK", true)) + "]");

        IcwsTestClient.Login later = client.login();
        client.subscribe(later, "I3_FEATURE_ICWS_SDK");
        assertThat(client.poll(later).get(0).toString()).isEqualTo(snapshot(false, status("I3_FEATURE_ICWS_SDK", true)));
    }

    @Test
    void javaApiSetLicenseAssignedActsLikeTheAdminPut() {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_LICENSE_BASIC_STATION");
        client.poll(l);

        assertThat(sim.setLicenseAssigned("agent1", "I3_LICENSE_BASIC_STATION", false)).isTrue();
        assertThat(sim.setLicenseAssigned("agent1", "I3_LICENSE_BASIC_STATION", false)).isFalse();

        assertThat(client.poll(l).toString())
                .isEqualTo("[" + snapshot(true, status("I3_LICENSE_BASIC_STATION", false)) + "]");
        assertThatThrownBy(() -> sim.setLicenseAssigned("nobody", "I3_ACCESS_CLIENT", true))
                .isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void licenseMessagesGoOnlyToSessionsOfTheChangedUser() {
        try (IcwsSimulator two = IcwsSimulator.builder().port(0).users(java.util.List.of(SimulatedUser.demo(),
                new SimulatedUser("agent2", "pw2", java.util.Map.of("I3_ACCESS_CLIENT", true)))).build().start()) {
            IcwsTestClient c = new IcwsTestClient(two.baseUri());
            IcwsTestClient.Login a1 = c.login("agent1", "secret");
            IcwsTestClient.Login a2 = c.login("agent2", "pw2");
            c.subscribe(a1, "I3_ACCESS_CLIENT");
            c.subscribe(a2, "I3_ACCESS_CLIENT");
            c.poll(a1);
            assertThat(c.poll(a2).get(0).toString()).isEqualTo(snapshot(false, status("I3_ACCESS_CLIENT", true)));

            c.setLicense("agent2", "I3_ACCESS_CLIENT", false);

            assertThat(c.poll(a1)).isEmpty();
            assertThat(c.poll(a2).toString()).isEqualTo("[" + snapshot(true, status("I3_ACCESS_CLIENT", false)) + "]");
        }
    }
}
