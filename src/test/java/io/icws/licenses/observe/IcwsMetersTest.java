package io.icws.licenses.observe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.icws.licenses.app.IcwsLicenseRoutesApplication;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.icws.licenses.state.LicenseChangeEvent;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The icws_* meters in a host's own Micrometer registry (a SimpleMeterRegistry bound in Camel's registry, camel-main's
 * metrics off), read after each step: logged in, a change, a target failing, the target drained.
 */
class IcwsMetersTest {

    private static final String USER = "agent1";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path folder;

    private IcwsSimulator simulator;
    private Main main;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void stop() {
        if (main != null) {
            main.stop();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    private CamelContext start(Path changes) {
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        main = IcwsLicenseRoutesApplication.createMain();
        Map<String, String> settings = Map.ofEntries(
                Map.entry("icws.dsl", "java"),
                Map.entry("icws.receive", "sse"),
                Map.entry("icws.server", simulator.baseUri().toString()),
                Map.entry("icws.user", USER),
                Map.entry("icws.password", "secret"),
                Map.entry("icws.health.enabled", "false"),
                Map.entry("icws.metrics.enabled", "false"), // the host's registry below, not camel-main's
                Map.entry("icws.subscribe.cron", "0 0 0 1 1 ? 2099"),
                Map.entry("icws.state.directory", folder.resolve("state").toString()),
                Map.entry("icws.outbox.directory", folder.resolve("outbox").toString()),
                Map.entry("icws.dead-letter.directory", folder.resolve("dead-letter").toString()),
                Map.entry("icws.notify.file.directory", changes.toString()),
                Map.entry("icws.notify.jms.enabled", "false"),
                Map.entry("icws.notify.email.enabled", "false"),
                Map.entry("icws.notify.redelivery.initial-delay", "100"),
                Map.entry("icws.notify.redelivery.max-delay", "200"),
                Map.entry("icws.shutdown.timeout", "2000"));
        settings.forEach(main::addOverrideProperty);
        main.bind("hostMeters", meters);
        main.start();
        return main.getCamelContext();
    }

    @Test
    void metersFollowLoginAChangeAFailingTargetAndItsDraining() throws Exception {
        Path blocker = folder.resolve("blocker");
        CamelContext context = start(folder.resolve("changes"));

        // logged in, subscribed, the first snapshot committed
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("icws.session.up", "connection", "default")).isEqualTo(1.0);
            assertThat(counter("icws.logins", "connection", "default")).isEqualTo(1.0);
            assertThat(assigned("I3_ACCESS_CLIENT")).isEqualTo(1.0);
            assertThat(changes("observed")).isEqualTo(3.0);
        });
        assertThat(counter("icws.messages", "connection", "default", "mode", "sse")).isGreaterThanOrEqualTo(1.0);
        assertThat(gauge("icws.connection.leader", "connection", "default")).as("this process owns the data folders")
                .isEqualTo(1.0);
        assertThat(counter("icws.messages", "connection", "default", "mode", "poll")).isZero();
        assertThat(counter("icws.server.switches", "connection", "default")).isZero();
        assertThat(changes("unassigned")).isZero();
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(counter("icws.target.delivered", "target", "file")).isEqualTo(3.0));
        assertThat(gauge("icws.target.queue.depth", "target", "file")).isZero();

        // a change
        simulator.setLicenseAssigned(USER, "I3_ACCESS_CLIENT", false);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(assigned("I3_ACCESS_CLIENT")).isEqualTo(0.0);
            assertThat(changes("unassigned")).isEqualTo(1.0);
            assertThat(counter("icws.target.delivered", "target", "file")).isEqualTo(4.0);
        });
        assertThat(assigned("I3_LICENSE_BASIC_STATION")).isEqualTo(1.0);

        // the file target fails: its folder cannot be made (a file is in the way); its queue grows
        main.stop();
        main = null;
        simulator.close();
        Files.writeString(blocker, "in the way");
        meters.clear();
        context = start(blocker.resolve("changes"));
        await().atMost(WAIT).until(() -> gaugeOrNaN("icws.session.up", "connection", "default") == 1.0);
        simulator.setLicenseAssigned(USER, "I3_ACCESS_CLIENT", true);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("icws.target.queue.depth", "target", "file")).isGreaterThanOrEqualTo(1.0);
            assertThat(counter("icws.target.delivered", "target", "file")).isZero();
            assertThat(counter("icws.target.delivered", "target", "log")).isGreaterThanOrEqualTo(1.0);
        });
        double waiting = gauge("icws.target.queue.depth", "target", "file");

        // the way is clear again: the queue drains
        Files.delete(blocker);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(gauge("icws.target.queue.depth", "target", "file")).isZero();
            assertThat(counter("icws.target.delivered", "target", "file")).isEqualTo(waiting);
        });
        assertThat(counter("icws.dead.letters", "target", "file")).isZero();

        // the delivery time, as the target's consumer records it: from the change's time to the target having it
        Timer timer = meters.find("icws.delivery").tag("target", "file").timer();
        assertThat(timer).isNotNull();
        assertThat(timer.count()).as("every event the file target took").isEqualTo((long) waiting);
        LicenseChangeEvent event = new LicenseChangeEvent("1.0", "e1", "icws://x/agent1", "io.icws.license.assigned",
                Instant.now().minusSeconds(20).toString(), "application/json", null);
        IcwsObserver.delivered(context, "file", event);
        assertThat(timer.count()).isEqualTo((long) waiting + 1);
        assertThat(timer.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isBetween(19_900.0, 60_000.0);
    }

    @Test
    void aLicenseTheServerReportsWithoutItsBeingSubscribedMakesNoSeries() throws Exception {
        start(folder.resolve("changes"));
        await().atMost(WAIT).until(() -> gaugeOrNaN("icws.license.assigned", "license", "I3_ACCESS_CLIENT") == 1.0);
        simulator.queueMessage(USER, "{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":true,"
                + "\"licenseAssignedStatusList\":[{\"name\":\"NOT_SUBSCRIBED\",\"isAssigned\":true}]}");
        simulator.setLicenseAssigned(USER, "I3_ACCESS_CLIENT", false);
        await().atMost(WAIT).until(() -> gaugeOrNaN("icws.license.assigned", "license", "I3_ACCESS_CLIENT") == 0.0);
        assertThat(meters.find("icws.license.assigned").gauges()).extracting(g -> g.getId().getTag("license"))
                .containsExactlyInAnyOrder("I3_ACCESS_CLIENT", "I3_LICENSE_BASIC_STATION", "I3_ACCESS_FEEDBACK");
    }

    @Test
    void aStoppedConnectionTakesItsMetersAlong() throws Exception {
        CamelContext context = start(folder.resolve("changes"));
        await().atMost(WAIT).until(() -> gaugeOrNaN("icws.session.up", "connection", "default") == 1.0);
        context.getRouteController().stopRoute("icws-watch-default");
        assertThat(meters.find("icws.session.up").gauges()).isEmpty();
        assertThat(meters.find("icws.license.assigned").gauges()).isEmpty();
        context.getRouteController().startRoute("icws-watch-default");
        await().atMost(WAIT).until(() -> gaugeOrNaN("icws.session.up", "connection", "default") == 1.0);
        assertThat(counter("icws.logins", "connection", "default")).isEqualTo(2.0);
    }

    private double assigned(String license) {
        return gauge("icws.license.assigned", "connection", "default", "user", USER, "license", license);
    }

    private double changes(String type) {
        return counter("icws.license.changes", "connection", "default", "change_type", type);
    }

    private double gauge(String name, String... tags) {
        Gauge gauge = meters.find(name).tags(tags).gauge();
        assertThat(gauge).as(name + " " + String.join(",", tags)).isNotNull();
        return gauge.value();
    }

    private double gaugeOrNaN(String name, String... tags) {
        Gauge gauge = meters.find(name).tags(tags).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }

    private double counter(String name, String... tags) {
        FunctionCounter counter = meters.find(name).tags(tags).functionCounter();
        assertThat(counter).as(name + " " + String.join(",", tags)).isNotNull();
        return counter.count();
    }
}
