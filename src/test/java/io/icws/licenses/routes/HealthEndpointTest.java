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

            // DOWN may come first from a check still starting: await the 503 that names the failed log-in, and
            // assert on that very answer
            JsonNode down = await().atMost(Duration.ofSeconds(10)).until(() -> {
                HttpResponse<String> response = get(ready);
                return response.statusCode() == 503 ? new ObjectMapper().readTree(response.body()) : null;
            }, body -> body != null && connectionCheckMessage(body).startsWith("POST /icws/connection answered 500"));
            assertThat(down.path("status").asText()).isEqualTo("DOWN");
            assertThat(down.path("checks")).anySatisfy(check -> {
                assertThat(check.path("name").asText()).isEqualTo("icws-default");
                // Camel 4.18's health JSON escapes '/' and '"' once more than JSON needs
                assertThat(check.path("message").asText().replace("\\", ""))
                        .startsWith("POST /icws/connection answered 500");
            });
            assertThat(get(URI.create("http://127.0.0.1:" + port + "/observe/health/live")).statusCode()).isEqualTo(200);

            routes.simulator.clearFaults();
            HttpResponse<String> up = await().atMost(Duration.ofSeconds(10)).until(() -> get(ready),
                    response -> response.statusCode() == 200);
            assertThat(up.body()).contains("UP");
        }
    }

    /** The message of the connection's check in a health answer ("" when absent), unescaped. */
    private static String connectionCheckMessage(JsonNode health) {
        for (JsonNode check : health.path("checks")) {
            if (check.path("name").asText().equals("icws-default")) {
                // Camel 4.18's health JSON escapes '/' and '"' once more than JSON needs
                return check.path("message").asText().replace("\\", "");
            }
        }
        return "";
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
