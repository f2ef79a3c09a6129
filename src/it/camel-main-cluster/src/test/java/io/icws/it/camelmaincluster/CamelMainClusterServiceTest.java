package io.icws.it.camelmaincluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A camel-main host that binds its own cluster service by configuration — {@code camel.beans.cluster=#class:…
 * FileLockClusterService} with its {@code root} and intervals in {@code application.properties} — runs the library's
 * routes under THAT service: the {@code icws-cluster} health check names it ({@code cluster.service=host-cluster}, not
 * the library's default {@code icws-file-lock}), its lock file is in the configured root (none in the outbox folder),
 * and the connection works (3 observed, 1 unassigned). A second host with the same settings stands by on it, with no
 * session at the server.
 */
class CamelMainClusterServiceTest {

    private static final String USER = "agent1";
    private static final String PASSWORD = "Pw-" + UUID.randomUUID();
    private static final Path RUN = Path.of("target", "icws-run");

    @Test
    void theRoutesRunUnderTheClusterServiceTheHostConfigured() throws Exception {
        deleteRecursively(RUN);
        Files.createDirectories(RUN);
        Path passwordFile = Files.writeString(RUN.resolve("icws-password"), PASSWORD + "\n");
        Path changes = RUN.resolve("changes");
        Path lockRoot = RUN.resolve("cluster-lock").toAbsolutePath();

        try (IcwsSimulator simulator = IcwsSimulator.builder().port(0)
                .users(List.of(new SimulatedUser(USER, PASSWORD, SimulatedUser.demo().licenses()))).build().start()) {
            Main first = host("first", simulator, passwordFile, lockRoot);
            Main second = null;
            try {
                first.start();
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> files(changes, "_observed_").size() == 3);

                CamelContext context = first.getCamelContext();
                assertThat(context.hasServices(CamelClusterService.class)).as("one cluster service: the host's")
                        .singleElement().isInstanceOf(FileLockClusterService.class)
                        .extracting(CamelClusterService::getId).isEqualTo("host-cluster");
                Map<String, Object> details = cluster(context);
                assertThat(details).containsEntry("cluster.service", "host-cluster").containsEntry("role", "leader");
                assertThat(lockRoot.resolve("icws")).as("the lock of namespace icws, in the configured root").exists();
                assertThat(RUN.resolve("outbox").resolve("icws")).as("no default lock in the outbox folder").doesNotExist();

                // a second host with the same settings waits on the same service
                second = host("second", simulator, passwordFile, lockRoot);
                second.start();
                CamelContext standby = second.getCamelContext();
                await().atMost(Duration.ofSeconds(10)).until(() -> "standby".equals(cluster(standby).get("role")));
                assertThat(cluster(standby)).containsEntry("cluster.service", "host-cluster");

                assertThat(simulator.setLicenseAssigned(USER, "I3_LICENSE_BASIC_STATION", false)).isTrue();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> files(changes, "_unassigned_").size() == 1);
            } finally {
                if (second != null) {
                    second.stop();
                }
                first.stop();
            }

            assertThat(files(changes, "_observed_")).hasSize(3);
            assertThat(files(changes, "_unassigned_")).hasSize(1);
            assertThat(simulator.receivedRequests().stream()
                    .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).count())
                    .as("one login: the standby never logged in").isEqualTo(1);
        }
    }

    /** A host as the application starts it, with this run's folders, server and lock root as overrides. */
    private static Main host(String name, IcwsSimulator simulator, Path passwordFile, Path lockRoot) {
        Main main = new Main();
        main.addOverrideProperty("camel.main.name", "camel-main-cluster-" + name);
        main.addOverrideProperty("camel.beans.cluster.root", lockRoot.toString());
        main.addOverrideProperty("icws.server", simulator.baseUri().toString());
        main.addOverrideProperty("icws.password-file", passwordFile.toAbsolutePath().toString());
        main.addOverrideProperty("icws.state.directory", RUN.resolve("state").toString());
        main.addOverrideProperty("icws.outbox.directory", RUN.resolve("outbox").toString());
        main.addOverrideProperty("icws.dead-letter.directory", RUN.resolve("dead-letter").toString());
        main.addOverrideProperty("icws.notify.file.directory", RUN.resolve("changes").toString());
        main.addOverrideProperty("icws.subscribe.jitter", "0");
        main.addOverrideProperty("icws.shutdown.timeout", "3000");
        return main;
    }

    private static Map<String, Object> cluster(CamelContext context) {
        HealthCheck.Result result = HealthCheckRegistry.get(context).getCheck("icws-cluster")
                .orElseThrow(() -> new AssertionError("no health check icws-cluster")).call();
        assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
        return result.getDetails();
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
