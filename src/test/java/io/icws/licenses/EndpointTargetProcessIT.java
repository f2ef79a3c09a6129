package io.icws.licenses;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Endpoint targets in the packaged jar, as a process: a webhook target (icws.notify.endpoints) whose webhook took
 * the request and holds it when the jar is killed (SIGKILL) gets that event again after the restart, with the same
 * id; an example route (icws.routes.examples=chat-webhook) is loaded from the jar's copy with one setting. The
 * ICWS simulator and the webhook run in this test, on 127.0.0.1.
 */
class EndpointTargetProcessIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private IcwsSimulator simulator;
    private WebhookServer hook;
    private final List<JarProcess> started = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        hook = WebhookServer.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (JarProcess jar : started) {
            jar.close();
        }
        hook.close();
        simulator.close();
    }

    private JarProcess startJar(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "-Dicws.server=" + simulator.baseUri(), "-Dicws.user=agent1", "-Dicws.password=secret",
                "-Dicws.subscribe.jitter=0", "-Dicws.health.enabled=false", "-Dicws.notify.jms.enabled=false",
                "-Dicws.notify.file.directory=" + tmp.resolve("changes"),
                "-Dicws.notify.redelivery.initial-delay=200", "-Dicws.notify.redelivery.max-delay=1000",
                "-Dicws.shutdown.timeout=2000",
                "-Dicws.state.directory=" + tmp.resolve("state"),
                "-Dicws.outbox.directory=" + tmp.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter")));
        args.addAll(List.of(extra));
        JarProcess jar = JarProcess.start(tmp, tmp.resolve(name + ".log"), args);
        started.add(jar);
        return jar;
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
