package io.icws.licenses.routes;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.simulator.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The jar's /observe/health over HTTP tells the truth: ready only while subscribed, the reason when not. */
class HealthEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void readinessIsDownWithTheReasonWhileLoginFailsAndUpOnceSubscribed(@TempDir Path folder) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (RoutesHarness routes = new RoutesHarness("yaml", "sse", folder, 1)) {
            routes.simulator.addFault(new Fault(500, 1_000_000, "/icws/connection", java.util.List.of(), 0));
            routes.with("icws.health.enabled", "true").with("icws.health.port", Integer.toString(port))
                    .with("icws.notify.email.enabled", "false").start();
            URI ready = URI.create("http://127.0.0.1:" + port + "/observe/health/ready");

            await().atMost(Duration.ofSeconds(10)).until(() -> get(ready).statusCode() == 503);
            JsonNode down = new ObjectMapper().readTree(get(ready).body());
            assertThat(down.path("status").asText()).isEqualTo("DOWN");
            assertThat(down.path("checks")).anySatisfy(check -> {
                assertThat(check.path("name").asText()).isEqualTo("icws-default");
                // Camel 4.18's health JSON escapes '/' and '"' once more than JSON needs
                assertThat(check.path("message").asText().replace("\\", ""))
                        .startsWith("POST /icws/connection answered 500");
            });
            assertThat(get(URI.create("http://127.0.0.1:" + port + "/observe/health/live")).statusCode()).isEqualTo(200);

            routes.simulator.clearFaults();
            await().atMost(Duration.ofSeconds(10)).until(() -> get(ready).statusCode() == 200);
            assertThat(get(ready).body()).contains("UP");
        }
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
