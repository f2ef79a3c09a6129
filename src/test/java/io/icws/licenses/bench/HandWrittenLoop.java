package io.icws.licenses.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The floor of the burst: the least a program must do for the same result, written by hand in the benchmark's
 * JVM. JDK {@link HttpClient} and Jackson: log in, subscribe to the licenses, then GET the queued messages every
 * poll interval (the next poll is scheduled when one ends, as the routes do), and for each license item of each
 * license message write a small JSON file under a temporary name and rename it atomically. No state, no outbox,
 * no redelivery: what the routes add on top is what the ratio jar/loop shows. {@code durable} forces each file and
 * its folder after the rename, as the routes' file target does; without it, nothing is forced.
 */
final class HandWrittenLoop implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LICENSE_MESSAGE = "urn:inin.com:licenses:licenseMessage";

    private final URI base;
    private final String user;
    private final String password;
    private final List<String> licenses;
    private final Path dir;
    private final Duration pollInterval;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-hand-written-loop");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger written = new AtomicInteger();
    private final AtomicLong polls = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private String sessionId;
    private String csrf;
    private String cookie;

    private final boolean durable;

    HandWrittenLoop(URI base, String user, String password, List<String> licenses, Path dir, Duration pollInterval) {
        this(base, user, password, licenses, dir, pollInterval, false);
    }

    HandWrittenLoop(URI base, String user, String password, List<String> licenses, Path dir, Duration pollInterval,
                    boolean durable) {
        this.durable = durable;
        this.base = base;
        this.user = user;
        this.password = password;
        this.licenses = licenses;
        this.dir = dir;
        this.pollInterval = pollInterval;
    }

    /** Logs in, subscribes, starts polling. */
    void start() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        ObjectNode login = JSON.createObjectNode()
                .put("__type", "urn:inin.com:connection:icAuthConnectionRequestSettings")
                .put("applicationName", "bench").put("userID", user).put("password", password);
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(base.resolve("/icws/connection"))
                .header("Accept-Language", "en-us").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(login))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 201) {
            throw new IOException("log-in answered " + answer.statusCode() + ": " + answer.body());
        }
        JsonNode session = JSON.readTree(answer.body());
        sessionId = session.path("sessionId").asText();
        csrf = session.path("csrfToken").asText();
        cookie = answer.headers().firstValue("Set-Cookie").map(c -> c.split(";", 2)[0].trim())
                .orElseThrow(() -> new IOException("no Set-Cookie in the log-in answer"));
        ObjectNode subscription = JSON.createObjectNode();
        licenses.forEach(subscription.putArray("licenseList")::add);
        HttpResponse<String> subscribed = http.send(session("/messaging/subscriptions/licenses")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(subscription))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (subscribed.statusCode() != 200) {
            throw new IOException("subscribe answered " + subscribed.statusCode() + ": " + subscribed.body());
        }
        poller.scheduleWithFixedDelay(this::poll, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private HttpRequest.Builder session(String path) {
        return HttpRequest.newBuilder(base.resolve("/icws/" + sessionId + path))
                .header("ININ-ICWS-CSRF-Token", csrf).header("Cookie", cookie)
                .header("Accept-Language", "en-us").timeout(Duration.ofSeconds(30));
    }

    private void poll() {
        try {
            HttpResponse<byte[]> answer = http.send(session("/messaging/messages")
                    .header("Accept", "application/vnd.inin.icws+JSON, application/json").GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            polls.incrementAndGet();
            if (answer.statusCode() != 200) {
                throw new IOException("poll answered " + answer.statusCode());
            }
            for (JsonNode message : JSON.readTree(answer.body())) {
                if (!LICENSE_MESSAGE.equals(message.path("__type").asText())) {
                    continue;
                }
                boolean delta = message.path("isDelta").asBoolean();
                for (JsonNode item : message.path("licenseAssignedStatusList")) {
                    write(item.path("name").asText(), item.path("isAssigned").asBoolean(), delta);
                }
            }
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(String license, boolean assigned, boolean delta) throws IOException {
        int n = written.incrementAndGet();
        ObjectNode event = JSON.createObjectNode().put("seq", n).put("user", user).put("license", license)
                .put("assigned", assigned).put("isDelta", delta);
        String name = String.format("%08d_%s_%s.json", n, license.replaceAll("[^A-Za-z0-9_.-]", "_"),
                assigned ? "assigned" : "unassigned");
        Path tmp = dir.resolve(".tmp-" + name);
        Files.write(tmp, JSON.writeValueAsBytes(event));
        Path file = dir.resolve(name);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        if (durable) {
            io.icws.licenses.support.Fsync.forceFile(file);
            io.icws.licenses.support.Fsync.forceDirectory(dir);
        }
    }

    int written() {
        return written.get();
    }

    long polls() {
        return polls.get();
    }

    /** The first failure of a poll, or null. */
    Throwable failure() {
        return failure.get();
    }

    /** Stops polling, then unsubscribes and logs out (best effort). */
    @Override
    public void close() {
        poller.shutdownNow();
        try {
            poller.awaitTermination(5, TimeUnit.SECONDS);
            if (sessionId != null) {
                http.send(session("/messaging/subscriptions/licenses").DELETE().build(),
                        HttpResponse.BodyHandlers.discarding());
                http.send(session("/connection").DELETE().build(), HttpResponse.BodyHandlers.discarding());
            }
        } catch (IOException e) {
            // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
