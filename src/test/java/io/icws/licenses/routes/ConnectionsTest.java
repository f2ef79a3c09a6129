package io.icws.licenses.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.app.IcwsLicenseRoutesApplication;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.RecordedRequest;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several connections in one runtime, both DSLs: two users on one simulator and one user on another, each
 * connection a route made from the template icws-license-watch, with its own session, state and health.
 */
class ConnectionsTest {

    private static final String CLIENT = "I3_ACCESS_CLIENT";
    private static final String STATION = "I3_LICENSE_BASIC_STATION";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    private IcwsSimulator siteA;
    private IcwsSimulator siteB;
    private Main main;

    @BeforeEach
    void startServers() {
        Map<String, Boolean> licenses = SimulatedUser.demo().licenses();
        siteA = IcwsSimulator.builder().port(0).users(List.of(new SimulatedUser("agent1", "pw-a1", licenses),
                new SimulatedUser("agent2", "pw-a2", licenses), new SimulatedUser("agent3", "pw-a3", licenses)))
                .build().start();
        siteB = IcwsSimulator.builder().port(0).users(List.of(new SimulatedUser("agent1", "pw-b1", licenses)))
                .build().start();
    }

    @AfterEach
    void stopAll() throws Exception {
        if (main != null) {
            main.stop();
        }
        siteA.close();
        siteB.close();
    }

    private void start(String dsl) throws Exception {
        main = IcwsLicenseRoutesApplication.createMain();
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("icws.dsl", dsl);
        settings.put("icws.server", siteA.baseUri().toString());
        settings.put("icws.connections", "a1,a2,b1");
        settings.put("icws.connections.a1.user", "agent1");
        settings.put("icws.connections.a1.password", "pw-a1");
        settings.put("icws.connections.a2.user", "agent2");
        settings.put("icws.connections.a2.password", "pw-a2");
        settings.put("icws.connections.a2.receive", "poll");
        settings.put("icws.connections.a2.poll.interval", "100");
        settings.put("icws.connections.b1.server", siteB.baseUri().toString());
        settings.put("icws.connections.b1.user", "agent1");
        settings.put("icws.connections.b1.password", "pw-b1");
        settings.put("icws.subscribe.jitter", "0");
        settings.put("icws.retry.initial-delay", "200");
        settings.put("icws.retry.max-delay", "400");
        settings.put("icws.health.enabled", "false");
        settings.put("icws.notify.jms.enabled", "false");
        settings.put("icws.shutdown.timeout", "3000");
        settings.put("icws.state.directory", folder.resolve("state").toString());
        settings.put("icws.outbox.directory", folder.resolve("outbox").toString());
        settings.put("icws.dead-letter.directory", folder.resolve("dead-letter").toString());
        settings.put("icws.notify.file.directory", folder.resolve("changes").toString());
        settings.forEach(main::addOverrideProperty);
        main.start();
    }

    private List<JsonNode> events() throws IOException {
        Path dir = folder.resolve("changes");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<JsonNode> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json") && !p.getFileName().toString()
                    .startsWith(".")).toList()) {
                events.add(JSON.readTree(f.toFile()));
            }
        }
        return events;
    }

    private List<JsonNode> events(IcwsSimulator site, String user, String license, String change) throws IOException {
        String source = "icws://" + site.baseUri().getAuthority() + "/" + user;
        return events().stream().filter(e -> e.path("source").asText().equals(source)
                && e.path("data").path("license").asText().equals(license)
                && e.path("data").path("changeType").asText().equals(change)).toList();
    }

    private HealthCheck.State health(String id) {
        return HealthCheckRegistry.get(main.getCamelContext()).getCheck(id).orElseThrow().call().getState();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void eachConnectionReportsItsOwnChangesOnceWithItsOwnSourceAndUser(String dsl) throws Exception {
        start(dsl);
        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 9);
        assertThat(main.getCamelContext().getRoute("icws-watch-a1")).isNotNull();
        assertThat(main.getCamelContext().getRoute("icws-watch-b1")).isNotNull();

        siteA.setLicenseAssigned("agent2", STATION, false);
        siteB.setLicenseAssigned("agent1", CLIENT, false);

        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 11);
        assertThat(events(siteA, "agent2", STATION, "unassigned")).hasSize(1)
                .allSatisfy(e -> assertThat(e.path("data").path("user").asText()).isEqualTo("agent2"));
        assertThat(events(siteB, "agent1", CLIENT, "unassigned")).hasSize(1);
        assertThat(events(siteA, "agent1", CLIENT, "unassigned")).isEmpty();
        try (Stream<Path> states = Files.list(folder.resolve("state"))) {
            assertThat(states.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("a1_")).anyMatch(n -> n.startsWith("a2_")).anyMatch(n -> n.startsWith("b1_"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aServerThatDiesAffectsOnlyItsOwnConnections(String dsl) throws Exception {
        start(dsl);
        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 9);

        siteB.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> health("icws-b1") == HealthCheck.State.DOWN);
        siteA.setLicenseAssigned("agent1", STATION, false);

        await().atMost(Duration.ofSeconds(20)).until(() -> events(siteA, "agent1", STATION, "unassigned").size() == 1);
        assertThat(health("icws-a1")).isEqualTo(HealthCheck.State.UP);
        assertThat(health("icws-a2")).isEqualTo(HealthCheck.State.UP);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void shutdownLogsOutEverySession(String dsl) throws Exception {
        start(dsl);
        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 9);

        main.stop();
        main = null;

        assertThat(logouts(siteA)).hasSize(2);
        assertThat(logouts(siteB)).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aConnectionAddedToARunningContextStartsAndOneRemovedLogsOut(String dsl) throws Exception {
        start(dsl);
        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 9);
        main.getCamelContext().getPropertiesComponent().addOverrideProperty("icws.connections.a3.user", "agent3");
        main.getCamelContext().getPropertiesComponent().addOverrideProperty("icws.connections.a3.password", "pw-a3");

        TemplatedRouteBuilder.builder(main.getCamelContext(), "icws-license-watch")
                .routeId("icws-watch-a3").parameter("connection", "a3").add();

        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 12);
        assertThat(events(siteA, "agent3", CLIENT, "observed")).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> health("icws-a3") == HealthCheck.State.UP);

        main.getCamelContext().getRouteController().stopRoute("icws-watch-a3");
        main.getCamelContext().removeRoute("icws-watch-a3");

        assertThat(logouts(siteA)).singleElement();
        assertThat(siteA.requests()).anyMatch(r -> r.method().equals("DELETE")
                && r.path().endsWith("/messaging/subscriptions/licenses") && r.status() == 204);
        assertThat(HealthCheckRegistry.get(main.getCamelContext()).getCheck("icws-a3")).isEmpty();
        // the others go on
        siteA.setLicenseAssigned("agent1", STATION, false);
        await().atMost(Duration.ofSeconds(20)).until(() -> events(siteA, "agent1", STATION, "unassigned").size() == 1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aPollingConnectionStoppedAndStartedAgainReceivesAgain(String dsl) throws Exception {
        start(dsl);
        await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 9);
        // a2 polls: its stop cuts its poll connections; the start after it must poll on new ones
        main.getCamelContext().getRouteController().stopRoute("icws-watch-a2");
        main.getCamelContext().getRouteController().startRoute("icws-watch-a2");
        await().atMost(Duration.ofSeconds(10)).until(() -> health("icws-a2") == HealthCheck.State.UP);

        siteA.setLicenseAssigned("agent2", STATION, false);

        await().atMost(Duration.ofSeconds(20)).until(() -> events(siteA, "agent2", STATION, "unassigned").size() == 1);
        assertThat(siteA.requests()).filteredOn(r -> r.method().equals("GET") && r.path().endsWith("/messaging/messages"))
                .allMatch(r -> r.status() == 200);
    }

    private static List<RecordedRequest> logouts(IcwsSimulator site) {
        return site.requests().stream().filter(r -> r.method().equals("DELETE") && r.path().endsWith("/connection")
                && r.status() == 204).toList();
    }
}
