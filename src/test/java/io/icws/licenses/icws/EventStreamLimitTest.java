package io.icws.licenses.icws;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.simulator.IcwsSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The event stream as the connection reads it, against the simulator: an event over the limit breaks the stream. */
class EventStreamLimitTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int LIMIT = 64 * 1024;

    private final HttpClient http = HttpClient.newHttpClient();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final CompletableFuture<Throwable> end = new CompletableFuture<>();
    private final CompletableFuture<Void> open = new CompletableFuture<>();
    private IcwsSimulator sim;
    private EventStream stream;

    @BeforeEach
    void openStream() throws Exception {
        sim = IcwsSimulator.builder().port(0).keepAliveInterval(Duration.ofMillis(200)).build().start();
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(sim.baseUri().resolve("/icws/connection"))
                .header("Accept-Language", "en-us").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"__type\":\"urn:inin.com:connection:icAuthConnectionRequestSettings\","
                        + "\"applicationName\":\"t\",\"userID\":\"agent1\",\"password\":\"secret\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = new ObjectMapper().readTree(login.body());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        URI uri = sim.baseUri().resolve("/icws/" + body.get("sessionId").asText() + "/messaging/messages");
        stream = EventStream.open(http, HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                .header("Cookie", cookie).GET().build(), new EventStream.Listener() {
                    @Override
                    public void onOpen() {
                        open.complete(null);
                    }

                    @Override
                    public void onEvent(String data) {
                        events.add(data);
                    }

                    @Override
                    public void onEnd(Throwable failure) {
                        end.complete(failure);
                    }
                }, LIMIT);
        open.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        await().atMost(WAIT).until(() -> sim.openStreams() == 1);
    }

    @AfterEach
    void close() {
        stream.close();
        sim.close();
    }

    @Test
    void anEventAtTheLimitIsHandedOverAndOneOverItEndsTheStreamWithAFailure() throws Exception {
        assertThat(sim.writeOversizedEvent("agent1", LIMIT, 1000)).isEqualTo(1);
        String first = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(first).hasSize(LIMIT);
        assertThat(end).isNotDone();

        CompletableFuture.runAsync(() -> sim.writeOversizedEvent("agent1", 4 * LIMIT));

        Throwable failure = end.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(failure).isInstanceOf(EventStreamParser.EventTooLargeException.class)
                .hasMessageContaining("limit " + LIMIT + " bytes")
                .hasMessageContaining("icws.sse.max-event-size");
        assertThat(events).isEmpty();
        await().atMost(WAIT).until(() -> sim.openStreams() == 0); // the connection was cut, not drained
    }

    @Test
    void aTwoValueEventIsHandedOverWholeSoTheMessagesRefuseIt() throws Exception {
        sim.writeTwoValueEvent("agent1");
        String data = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(data).isNotNull();
        IcwsMessages messages = new IcwsMessages();
        assertThat(messages.split(data)).containsExactly(data);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> messages.type(data))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("followed by more JSON");
    }
}
