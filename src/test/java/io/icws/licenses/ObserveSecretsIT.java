package io.icws.licenses;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nobody learns a secret from what the jar serves: with the ICWS, SMTP, JMS and trust store passwords given as
 * {@code -D} (where Camel's system-properties console would print them), every path of the health port — the
 * status page and its JSON, the metrics, health with its details, the dev console index and each console it
 * lists, and the consoles that print settings when they are on — answers without any of them.
 */
class ObserveSecretsIT {

    private static final Map<String, String> SECRETS = Map.of(
            "icws.password", "Icws-Pa55-7f3a",
            "icws.notify.email.password", "Smtp-Pa55-91c2",
            "icws.notify.jms.password", "Jms-Pa55-44d0",
            "icws.tls.trust-store-password", "Trust-Pa55-0b8e");

    @TempDir
    Path tmp;

    private ObservedJar jar;

    @AfterEach
    void stop() throws Exception {
        if (jar != null) {
            jar.close();
        }
    }

    @Test
    void noEndpointOfTheHealthPortShowsASecret() throws Exception {
        List<String> args = new ArrayList<>();
        SECRETS.forEach((k, v) -> args.add("-D" + k + "=" + v));
        args.add("-Dicws.notify.email.enabled=true");
        args.add("-Dicws.notify.email.host=127.0.0.1");
        args.add("-Dicws.notify.email.port=" + JarProcess.freePort()); // nobody listens: an outage, that is all
        args.add("-Dicws.notify.email.username=icws");
        args.add("-Dicws.notify.email.security=starttls");
        args.add("-Dicws.notify.email.to=alerts@example.com");
        args.add("-Dicws.notify.email.from=icws@example.com");
        jar = ObservedJar.start(Files.createDirectories(tmp.resolve("jar")), args.toArray(String[]::new));

        Map<String, String> bodies = new LinkedHashMap<>();
        for (String path : List.of("/", "/status", "/status.json", "/status.js", "/status.css", "/observe/metrics",
                "/observe/health", "/observe/health?data=true", "/observe/health/ready", "/observe/health/live",
                "/observe/info", "/q/dev", "/q/dev/all", "/q/dev/index",
                // the consoles that print properties, settings and the environment: not served
                "/q/dev/system-properties", "/q/dev/properties", "/q/dev/main-configuration", "/q/dev/jvm",
                "/q/dev/java-security", "/q/dev/bean", "/q/dev/variables", "/q/dev/trace", "/q/dev/message-history")) {
            bodies.put(path, jar.get(path));
        }
        JsonNode index = new ObjectMapper().readTree(json("/q/dev"));
        List<String> consoles = new ArrayList<>();
        index.fieldNames().forEachRemaining(consoles::add);
        assertThat(consoles).containsExactlyInAnyOrder("icws", "health", "route", "context");
        for (String id : consoles) {
            bodies.put("/q/dev/" + id, jar.get("/q/dev/" + id));
            bodies.put("/q/dev/" + id + " (json)", json("/q/dev/" + id));
        }
        bodies.put("/q/dev/all (json)", json("/q/dev/all"));

        // what they show is real (so a blank answer cannot pass): the password is known to the jar's own runtime
        assertThat(bodies.get("/observe/metrics")).contains("icws_session_up{connection=\"default\"} 1.0");
        assertThat(bodies.get("/q/dev/icws")).contains("Connection default: up");
        assertThat(bodies.get("/q/dev/system-properties")).contains("not found");
        assertThat(bodies.get("/status.json")).contains("\"user\":\"agent1\"");
        assertThat(jar.jar.log()).doesNotContain("did not start");

        bodies.forEach((path, body) -> SECRETS.forEach((key, secret) ->
                assertThat(body).as(path + " must not show " + key).doesNotContain(secret)));
    }

    private String json(String path) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(jar.base.resolve(path))
                .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
