package io.icws.licenses;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar as a process on its embedded simulator, demo off, with its health port (status page, metrics,
 * dev console) on a free loopback port; the test changes licenses through the simulator's admin API.
 */
final class ObservedJar implements AutoCloseable {

    private static final Pattern SIMULATOR_URL = Pattern.compile("built-in ICWS simulator at (http://127\\.0\\.0\\.1:\\d+)");

    final JarProcess jar;
    final int port;
    final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private URI simulator;

    private ObservedJar(JarProcess jar, int port) {
        this.jar = jar;
        this.port = port;
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** Starts the jar in the folder and waits until its connection is up (icws_session_up 1). */
    static ObservedJar start(Path folder, String... extraArgs) throws IOException {
        int port = JarProcess.freePort();
        List<String> args = new ArrayList<>(List.of("-Dicws.health.port=" + port,
                "-Dicws.notify.jms.embedded-port=" + JarProcess.freePort(), "-Dicws.demo.license=",
                "-Dicws.subscribe.cron=0 0 0 1 1 ? 2099"));
        args.addAll(List.of(extraArgs));
        ObservedJar observed = new ObservedJar(JarProcess.start(folder, folder.resolve("jar.log"), args), port);
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> observed.get("/observe/metrics").contains("icws_session_up{connection=\"default\"} 1.0"));
        } catch (RuntimeException | Error e) {
            throw new AssertionError("the jar did not come up; its log:\n" + observed.jar.log(), e);
        }
        return observed;
    }

    /** GET a path of the health port; the body ("" when it cannot be reached). */
    String get(String path) {
        HttpResponse<String> response = response(path);
        return response == null ? "" : response.body();
    }

    HttpResponse<String> response(String path) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Assigns or unassigns a license at the simulator, as an administrator would in CIC. */
    void setLicense(String user, String license, boolean assigned) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(simulator().resolve("/simulator/users/"
                        + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20")
                        + "/licenses/" + license))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"assigned\":" + assigned + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("simulator admin call: " + r.body()).isBetween(200, 299);
    }

    private URI simulator() {
        if (simulator == null) {
            Matcher m = SIMULATOR_URL.matcher(jar.log());
            assertThat(m.find()).as("the simulator's URL in the jar's log").isTrue();
            simulator = URI.create(m.group(1));
        }
        return simulator;
    }

    @Override
    public void close() throws InterruptedException {
        if (jar.process.isAlive()) {
            jar.terminate(Duration.ofSeconds(20));
        }
        jar.close();
    }
}
