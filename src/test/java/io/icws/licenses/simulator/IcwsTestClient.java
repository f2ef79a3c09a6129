package io.icws.licenses.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A small ICWS client for the conformance tests, built on the JDK HttpClient only. */
final class IcwsTestClient {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CSRF = "ININ-ICWS-CSRF-Token";
    static final String LOGIN_TYPE = "urn:inin.com:connection:icAuthConnectionRequestSettings";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    final URI base;
    private final HttpClient http;

    IcwsTestClient(URI base) {
        this(base, HTTP);
    }

    /** A client using {@code http} (e.g. one with an {@code SSLContext} trusting the simulator). */
    IcwsTestClient(URI base, HttpClient http) {
        this.base = base;
        this.http = http;
    }

    /** A client like the default one, with that SSL context. */
    static HttpClient httpClient(javax.net.ssl.SSLContext sslContext) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .sslContext(sslContext)
                .build();
    }

    /** A logged-in session: ids and the cookie the server set. */
    record Login(String sessionId, String csrfToken, String cookie, HttpResponse<String> response) {
        String cookieHeader() {
            return cookie;
        }
    }

    static String loginBody(String user, String password) {
        return "{\"__type\":\"" + LOGIN_TYPE + "\",\"applicationName\":\"conformance\",\"userID\":\"" + user
                + "\",\"password\":\"" + password + "\"}";
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/vnd.inin.icws+JSON");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> loginRaw(String query, String body) {
        return send("POST", "/icws/connection" + (query == null ? "" : "?" + query), body, "Accept-Language", "en-us");
    }

    Login login(String user, String password) {
        HttpResponse<String> r = loginRaw(null, loginBody(user, password));
        assertThat(r.statusCode()).as("login status, body %s", r.body()).isEqualTo(201);
        JsonNode body = json(r.body());
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        return new Login(body.get("sessionId").asText(), body.get("csrfToken").asText(), cookie, r);
    }

    Login login() {
        return login("agent1", "secret");
    }

    /** A request on {@code /icws/{sessionId}/{resource}} with the session's cookie and CSRF header. */
    HttpResponse<String> authed(Login l, String method, String resource, String body) {
        return send(method, "/icws/" + l.sessionId() + "/" + resource, body,
                CSRF, l.csrfToken(), "Cookie", l.cookieHeader());
    }

    HttpResponse<String> subscribe(Login l, String... licenses) {
        StringBuilder sb = new StringBuilder("{\"licenseList\":[");
        for (int i = 0; i < licenses.length; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(licenses[i]).append('"');
        }
        return authed(l, "PUT", "messaging/subscriptions/licenses", sb.append("]}").toString());
    }

    /** Short poll; asserts 200 and returns the JSON array. */
    JsonNode poll(Login l) {
        HttpResponse<String> r = authed(l, "GET", "messaging/messages", null);
        assertThat(r.statusCode()).as("poll status, body %s", r.body()).isEqualTo(200);
        JsonNode array = json(r.body());
        assertThat(array.isArray()).as("poll answers an array: %s", r.body()).isTrue();
        return array;
    }

    HttpResponse<String> admin(String method, String path, String body) {
        return send(method, "/simulator/" + path, body);
    }

    HttpResponse<String> setLicense(String user, String license, boolean assigned) {
        return admin("PUT", "users/" + user + "/licenses/" + license, "{\"assigned\":" + assigned + "}");
    }

    /** Opens the event stream of a session (cookie only, like the SDK). */
    EventStream openStream(Login l) {
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/icws/" + l.sessionId() + "/messaging/messages"))
                .header("Accept", "text/event-stream")
                .header("Cookie", l.cookieHeader())
                .GET().build();
        try {
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            return new EventStream(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A stream request answered as a whole (for refusals such as 406 or 404). */
    HttpResponse<String> streamRequest(Login l) {
        return send("GET", "/icws/" + l.sessionId() + "/messaging/messages", null,
                "Accept", "text/event-stream", "Cookie", l.cookieHeader());
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    /** Reads an event stream's lines on a daemon thread; tests take them with a timeout. */
    static final class EventStream implements AutoCloseable {
        static final String EOF = "<<EOF>>";
        final HttpResponse<InputStream> response;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Thread reader;

        EventStream(HttpResponse<InputStream> response) {
            this.response = response;
            this.reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // stream closed
                } finally {
                    lines.add(EOF);
                }
            }, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** Next line as sent, empty ones included (or {@link #EOF}); fails after the timeout. */
        String rawLine(Duration timeout) throws InterruptedException {
            String line = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("no line on the event stream within " + timeout);
            }
            return line;
        }

        /** Next non-empty line (a {@code data:} or {@code :} line, or {@link #EOF}); fails after the timeout. */
        String nextLine(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("no line on the event stream within " + timeout);
                }
                if (!line.isEmpty()) {
                    return line;
                }
            }
        }

        /** The JSON of the next {@code data:} line, skipping comments; fails on EOF or timeout. */
        JsonNode nextData(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = nextLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                if (line.equals(EOF)) {
                    throw new AssertionError("event stream ended before a data line");
                }
                if (line.startsWith("data:")) {
                    return json(line.substring("data:".length()).trim());
                }
            }
        }

        /** Waits for the end of the stream, skipping comments; fails on data or timeout. */
        void assertEnds(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = nextLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                if (line.equals(EOF)) {
                    return;
                }
                assertThat(line).as("only comments before the end").startsWith(":");
            }
        }

        @Override
        public void close() {
            try {
                response.body().close();
            } catch (IOException e) {
                // ignore
            }
        }
    }
}
