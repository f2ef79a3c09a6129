package io.icws.it.camelmain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.RecordedRequest;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The library's YAML routes in a plain camel-main host: the settings of {@code application.properties} (YAML routes
 * from {@code classpath:icws/routes/*.yaml}, {@code IcwsConfiguration}), the server and folders as override
 * properties, the password in a file. Against the simulator: 3 observed changes, one unassigned, and on stop the
 * subscription and the session deleted. The host logs everything at DEBUG; the password appears in no line.
 */
class CamelMainYamlTest {

    private static final String USER = "agent1";
    private static final String PASSWORD = "Pw-" + UUID.randomUUID();
    private static final Path RUN = Path.of("target", "icws-run");
    private static final Path HOST_LOG = Path.of("target", "host.log");

    @Test
    void yamlRoutesRunInCamelMain() throws Exception {
        deleteRecursively(RUN);
        Files.createDirectories(RUN);
        Path passwordFile = Files.writeString(RUN.resolve("icws-password"), PASSWORD + "\n");
        Path changes = RUN.resolve("changes");

        try (IcwsSimulator simulator = IcwsSimulator.builder().port(0)
                .users(List.of(new SimulatedUser(USER, PASSWORD, SimulatedUser.demo().licenses()))).build().start()) {
            Main main = new Main();
            main.addOverrideProperty("icws.server", simulator.baseUri().toString());
            main.addOverrideProperty("icws.password-file", passwordFile.toAbsolutePath().toString());
            main.addOverrideProperty("icws.state.directory", RUN.resolve("state").toString());
            main.addOverrideProperty("icws.outbox.directory", RUN.resolve("outbox").toString());
            main.addOverrideProperty("icws.dead-letter.directory", RUN.resolve("dead-letter").toString());
            main.addOverrideProperty("icws.notify.file.directory", changes.toString());
            main.addOverrideProperty("icws.subscribe.jitter", "0");
            main.addOverrideProperty("icws.shutdown.timeout", "3000");
            main.start();
            try {
                assertThat(main.getCamelContext().getRoute("icws-watch-default")).isNotNull();
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> files(changes, "_observed_").size() == 3);

                assertThat(simulator.setLicenseAssigned(USER, "I3_LICENSE_BASIC_STATION", false)).isTrue();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> files(changes, "_unassigned_").size() == 1);
            } finally {
                main.stop();
            }

            // after the stop no file can come any more: exactly one file per change
            assertThat(files(changes, "_observed_")).hasSize(3);
            assertThat(files(changes, "_unassigned_")).hasSize(1)
                    .allSatisfy(f -> assertThat(f.getFileName().toString()).contains("I3_LICENSE_BASIC_STATION"));
            assertThat(Files.readString(files(changes, "_unassigned_").get(0)))
                    .contains("\"type\":\"io.icws.license.unassigned\"", "\"user\":\"agent1\"");

            List<RecordedRequest> requests = simulator.requests();
            assertThat(requests).anyMatch(r -> r.method().equals("DELETE")
                    && r.path().endsWith("/messaging/subscriptions/licenses") && r.status() == 204);
            assertThat(requests).anyMatch(r -> r.method().equals("DELETE")
                    && r.path().endsWith("/connection") && r.status() == 204);
        }

        String log = Files.readString(HOST_LOG, StandardCharsets.UTF_8);
        // the capture works: DEBUG lines of Camel and of the library are in it
        assertThat(log).contains(" DEBUG ").contains("org.apache.camel").contains("io.icws.licenses");
        assertThat(log.contains(PASSWORD)).as("the password appears in the host's DEBUG log").isFalse();
    }

    private static List<Path> files(Path folder, String marker) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(folder)) {
            return list.filter(f -> {
                String name = f.getFileName().toString();
                return name.endsWith(".json") && name.contains(marker);
            }).sorted().toList();
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (Files.exists(folder)) {
            try (Stream<Path> walk = Files.walk(folder)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
