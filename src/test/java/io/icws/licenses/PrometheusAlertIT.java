package io.icws.licenses;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The alerting recipe for real: Debian's Prometheus scrapes the packaged jar's /observe/metrics and evaluates
 * docs/monitoring/icws-alerts.yml (its {@code for:} set to 0s in the test copy); an unassignment at the simulator
 * makes IcwsLicenseUnassigned fire for that license. Skipped when /usr/bin/prometheus is not installed
 * ({@code apt-get install prometheus}; .ci/run installs it).
 */
class PrometheusAlertIT {

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final List<AutoCloseable> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : started) {
            c.close();
        }
    }

    @Test
    void anUnassignmentAtTheServerFiresTheAlertRule() throws Exception {
        assumeTrue(Files.isExecutable(PROMETHEUS), "/usr/bin/prometheus is not installed (apt-get install prometheus)");
        Path jarFolder = Files.createDirectories(tmp.resolve("jar"));
        ObservedJar jar = ObservedJar.start(jarFolder);
        started.add(jar);

        String rules = Files.readString(JarProcess.baseDir().resolve("docs/monitoring/icws-alerts.yml"))
                .replaceAll("for: \\S+", "for: 0s");
        Files.writeString(tmp.resolve("icws-alerts.yml"), rules);
        Files.writeString(tmp.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - icws-alerts.yml
                scrape_configs:
                  - job_name: icws-license-routes
                    metrics_path: /observe/metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(jar.port));
        int port = JarProcess.freePort();
        Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + tmp.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + tmp.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
        started.add(() -> {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        });
        URI api = URI.create("http://127.0.0.1:" + port);

        // scraped: the license is assigned, and its alert is not firing
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(query(api, "icws_license_assigned{license=\"I3_ACCESS_CLIENT\"}")).as(log()).isEqualTo("1"));
        assertThat(firing(api, "I3_ACCESS_CLIENT")).isFalse();

        jar.setLicense("agent1", "I3_ACCESS_CLIENT", false);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(firing(api, "I3_ACCESS_CLIENT")).as(log()).isTrue());
    }

    private String log() throws IOException {
        Path p = tmp.resolve("prometheus.log");
        return Files.exists(p) ? "prometheus log tail: " + tail(Files.readString(p)) : "";
    }

    private static String tail(String s) {
        return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    }

    /** The value of an instant query with one series, or null. */
    private String query(URI api, String promql) throws Exception {
        JsonNode result = get(api, "/api/v1/query?query=" + java.net.URLEncoder.encode(promql, java.nio.charset.StandardCharsets.UTF_8))
                .path("data").path("result");
        return result.size() == 1 ? result.get(0).path("value").get(1).asText() : null;
    }

    private boolean firing(URI api, String license) throws Exception {
        for (JsonNode alert : get(api, "/api/v1/alerts").path("data").path("alerts")) {
            if ("IcwsLicenseUnassigned".equals(alert.path("labels").path("alertname").asText())
                    && license.equals(alert.path("labels").path("license").asText())
                    && "firing".equals(alert.path("state").asText())) {
                return true;
            }
        }
        return false;
    }

    private JsonNode get(URI api, String path) throws Exception {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(api.resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return JSON.createObjectNode(); // not listening yet
        }
    }
}
