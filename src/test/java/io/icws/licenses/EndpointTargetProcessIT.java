package io.icws.licenses;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Endpoint targets in the packaged jar, as a process: a webhook target (icws.notify.endpoints) whose webhook took
 * the request and holds it when the jar is killed (SIGKILL) gets that event again after the restart, with the same
 * id; an example route (icws.routes.examples=chat-webhook) is loaded from the jar's copy with one setting. The
 * ICWS simulator and the webhook run in this test, on 127.0.0.1.
 */
class EndpointTargetProcessIT extends JarTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private WebhookServer hook;

    @BeforeEach
    void startWebhook() throws IOException {
        hook = WebhookServer.start();
    }

    @AfterEach
    void stopWebhook() {
        hook.close();
    }

    @Override
    JarProcess startJar(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("-Dicws.receive=auto",
                "-Dicws.notify.redelivery.initial-delay=200", "-Dicws.notify.redelivery.max-delay=1000",
                "-Dicws.cluster.file.acquire-lock-interval=200"));
        args.addAll(List.of(extra));
        return super.startJar(name, args.toArray(String[]::new));
    }

    private static String id(WebhookServer.Request request) {
        try {
            return JSON.readTree(request.body()).path("id").asText();
        } catch (IOException e) {
            throw new AssertionError("not an event: " + request.body(), e);
        }
    }

    @Test
    void killedWhileTheWebhookHoldsTheRequestTheEventArrivesAfterTheRestartWithTheSameId() throws Exception {
        String[] target = {"-Dicws.notify.endpoints=hook", "-Dicws.notify.endpoints.hook.uri=" + hook.url("/events"),
                "-Dicws.notify.endpoints.hook.response-timeout=120000"};
        hook.hold();
        JarProcess first = startJar("first", target);
        await().atMost(Duration.ofSeconds(60)).until(() -> hook.held() == 1);
        String inFlight = id(hook.received().get(0));

        first.kill(); // mid-delivery: the webhook took the request and has not answered
        int before = hook.received().size();
        hook.release();
        startJar("second", target);

        await().atMost(Duration.ofSeconds(60)).until(() -> hook.received().size() > before
                && hook.accepted().stream().skip(1).anyMatch(r -> id(r).equals(inFlight)));
        assertThat(id(hook.received().get(before))).as("the first delivery after the restart").isEqualTo(inFlight);
        // the snapshot's three observed events, each with one id, the one in flight twice
        await().atMost(Duration.ofSeconds(30)).until(() -> hook.accepted().stream().skip(1).map(EndpointTargetProcessIT::id)
                .distinct().count() == 3);
        assertThat(hook.received()).allSatisfy(r ->
                assertThat(r.header("Content-Type")).isEqualTo("application/cloudevents+json; charset=UTF-8"));
    }

    @Test
    void anExampleRouteIsLoadedFromTheJarWithOneSetting() throws Exception {
        JarProcess jar = startJar("example", "-Dicws.dsl=java", "-Dicws.routes.examples=chat-webhook",
                "-Dicws.examples.chat.url=" + hook.url("/chat"));
        // the first snapshot is delivered (three observed changes in the file target, none to the chat)
        await().atMost(Duration.ofSeconds(60)).until(() -> JarProcess.jsonFiles(tmp.resolve("changes")).size() == 3);
        simulator.setLicenseAssigned("agent1", "I3_LICENSE_BASIC_STATION", false);

        await().atMost(Duration.ofSeconds(60)).until(() -> !hook.accepted().isEmpty());
        JsonNode message = JSON.readTree(hook.accepted().get(0).body());
        assertThat(message.path("text").asText()).as("log:%n%s", jar.log())
                .contains("unassigned", "I3_LICENSE_BASIC_STATION", "agent1");
        assertThat(hook.accepted().get(0).path()).isEqualTo("/chat");
    }
}
