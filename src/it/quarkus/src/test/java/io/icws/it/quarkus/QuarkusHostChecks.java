package io.icws.it.quarkus;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.icws.licenses.simulator.RecordedRequest;
import org.apache.camel.CamelContext;
import org.slf4j.LoggerFactory;

import static io.icws.it.quarkus.SimulatorResource.files;
import static io.icws.it.quarkus.SimulatorResource.simulator;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What both Quarkus hosts must show. */
final class QuarkusHostChecks {

    private QuarkusHostChecks() {
    }

    static void oneChangeOneFileAndLogOutOnStop(CamelContext camel) throws Exception {
        // the library, compiled against Camel 4.18.0, on the Camel that camel-quarkus 3.31.0 carries
        assertThat(camel.getVersion()).isEqualTo("4.17.0");
        // the library's SLF4J goes to Quarkus logging (slf4j-jboss-logmanager), and it brought no logback
        assertThat(LoggerFactory.getILoggerFactory().getClass().getProtectionDomain().getCodeSource().getLocation()
                .toString()).contains("slf4j-jboss-logmanager");
        assertThat(QuarkusHostChecks.class.getClassLoader().getResource("ch/qos/logback/classic/Logger.class")).isNull();
        assertThat(camel.getRoute("icws-watch-default")).isNotNull();

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> files("_observed_").size() == 3);
        assertThat(simulator.setLicenseAssigned(SimulatorResource.USER, "I3_LICENSE_BASIC_STATION", false)).isTrue();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> files("_unassigned_").size() == 1);
        // the library's meters are in Quarkus' Micrometer registry
        io.micrometer.core.instrument.MeterRegistry meters =
                io.quarkus.arc.Arc.container().instance(io.micrometer.core.instrument.MeterRegistry.class).get();
        await().atMost(Duration.ofSeconds(10)).until(() -> meters.find("icws.license.assigned")
                .tags("connection", "default", "license", "I3_LICENSE_BASIC_STATION").gauge() != null
                && meters.get("icws.license.assigned").tags("license", "I3_LICENSE_BASIC_STATION").gauge().value() == 0.0);
        assertThat(meters.get("icws.session.up").tag("connection", "default").gauge().value()).isEqualTo(1.0);
        assertThat(meters.get("icws.logins").tag("connection", "default").functionCounter().count()).isEqualTo(1.0);

        // what Quarkus does at shutdown: stop the CamelContext
        camel.stop();

        assertThat(files("_observed_")).hasSize(3);
        assertThat(files("_unassigned_")).singleElement()
                .satisfies(f -> assertThat(f.getFileName().toString()).contains("I3_LICENSE_BASIC_STATION"));
        List<RecordedRequest> requests = simulator.requests();
        assertThat(requests).anyMatch(r -> r.method().equals("DELETE")
                && r.path().endsWith("/messaging/subscriptions/licenses") && r.status() == 204);
        assertThat(requests).anyMatch(r -> r.method().equals("DELETE")
                && r.path().endsWith("/connection") && r.status() == 204);

        String log = Files.readString(Path.of("target", "quarkus.log"), StandardCharsets.UTF_8);
        assertThat(log).contains(" DEBUG ").contains("ICWS license routes running");
        assertThat(log.contains(SimulatorResource.PASSWORD)).as("the password appears in the DEBUG log").isFalse();
    }
}
