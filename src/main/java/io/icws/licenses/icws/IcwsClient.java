package io.icws.licenses.icws;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.support.SafeText;

/**
 * The session requests of one connection — log in, subscribe, unsubscribe, log out, read the features, open
 * the event stream — over the JDK {@link HttpClient}, asynchronously: no thread waits for an answer, and a
 * request under way can be cut at shutdown.
 *
 * <p>Why not camel-http here: the login body carries the password, and the JDK client has no wire or header
 * log a host's logging configuration can switch on (only a JVM system property can); the event stream needs a
 * body read while it arrives. The client handles no cookies: the session's cookies are sent by hand, so a
 * cookie of an ended session never rides along.
 *
 * <p>Every request is bounded: the client's connect time-out ({@code icws.http.connect-timeout}) and a response
 * time-out on each request ({@code icws.http.response-timeout}; for the event stream it covers the answer's headers
 * only: the stream's body has none, the connection's idle watchdog watches it). Every future returned here cancels
 * the request itself when it is cancelled: it aborts the exchange (the connection is closed, no socket is left to the
 * server), rather than only dropping interest in the answer — see {@link #cancelling}.
 *
 * <p>What the server answers is untrusted: an answer's body is read up to {@link #MAX_ANSWER_BYTES}; the login's
 * {@code sessionId} must match {@link #SESSION_ID} before it goes into any path (so {@code ../x}, a {@code /},
 * {@code ?}, {@code %} or a space cannot move a request elsewhere), the {@code csrfToken} must be a plain header
 * value (printable ASCII, no CR, LF or other control character), and a cookie that is not plain ASCII without
 * control characters is left out; otherwise the login fails with a clear message (the token itself is never
 * shown: it is a credential).
 */
public final class IcwsClient {

    private static final String JSON = "application/vnd.inin.icws+JSON";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** A session id the client accepts: unreserved URI characters only, 1 to 128 of them, not only dots. */
    public static final Pattern SESSION_ID = Pattern.compile("(?!\\.+$)[A-Za-z0-9._~-]{1,128}");
    /** A CSRF token the client accepts: printable ASCII (inner spaces allowed), 1 to 4096 characters. */
    static final Pattern CSRF_TOKEN = Pattern.compile("[\\x21-\\x7E](?:[\\x20-\\x7E]{0,4094}[\\x21-\\x7E])?");
    /** The largest answer body read (login, features, errors); more is cut. */
    static final int MAX_ANSWER_BYTES = 1 << 20;
    private static final HttpResponse.BodyHandler<String> BODY = info -> EventStream.boundedString(MAX_ANSWER_BYTES);

    private final HttpClient http;
    private final ConnectionSettings settings;
    private final int maxEventBytes;

    public IcwsClient(HttpClient http, ConnectionSettings settings) {
        this(http, settings, EventStreamParser.DEFAULT_MAX_EVENT_BYTES);
    }

    /**
     * @param maxEventBytes the largest event (its data, in bytes) an event stream may send; a larger one, or a
     *                      longer line, breaks the stream (see {@link EventStreamParser}); {@code icws.sse.max-event-size}
     */
    public IcwsClient(HttpClient http, ConnectionSettings settings, int maxEventBytes) {
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes must be at least 1, got " + maxEventBytes);
        }
        this.http = http;
        this.settings = settings;
        this.maxEventBytes = maxEventBytes;
    }

    /** What a successful login gives. */
    public record Login(IcwsSession session, List<String> alternateHosts) {
    }

    /** {@code POST /icws/connection?include=features} with the user's credentials. */
    public CompletableFuture<Login> login(URI server) {
        ObjectNode body = MAPPER.createObjectNode()
                .put("__type", "urn:inin.com:connection:icAuthConnectionRequestSettings")
                .put("applicationName", settings.applicationName())
                .put("userID", settings.user())
                .put("password", settings.password());
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpRequest request = request(server, IcwsCall.LOGIN, null, "?include=features")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build();
        return cancelling(http.sendAsync(request, BODY), response -> readLogin(server, response));
    }

    /**
     * The answer of a request mapped, as a future whose {@link CompletableFuture#cancel cancel} reaches the request:
     * cancelling it cancels the future {@link HttpClient#sendAsync} returned, which aborts the exchange (JDK 17: the
     * connection is closed at once). A plain dependent future ({@code thenApply}) promises no such thing: a
     * {@code CompletableFuture} does not pass cancellation up its chain (the JDK 17 client's own futures happen to,
     * but that is an implementation detail, not API), so the request's own future is kept and cancelled here.
     */
    static <R, T> CompletableFuture<T> cancelling(CompletableFuture<R> sent, java.util.function.Function<R, T> mapping) {
        CompletableFuture<T> result = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                sent.cancel(true);
                return cancelled;
            }
        };
        sent.whenComplete((answer, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            try {
                result.complete(mapping.apply(answer));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    static Login readLogin(URI server, HttpResponse<String> response) {
        if (response.statusCode() != 201) {
            throw failure(IcwsCall.LOGIN, response);
        }
        JsonNode json = parse(IcwsCall.LOGIN, response);
        String sessionId = text(json, "sessionId");
        String csrfToken = text(json, "csrfToken");
        String cookies = cookies(response);
        if (sessionId == null || csrfToken == null || cookies.isEmpty()) {
            throw new IcwsRequestException(IcwsCall.LOGIN, response.statusCode(), null, "the answer lacks "
                    + (sessionId == null ? "sessionId" : csrfToken == null ? "csrfToken" : "the session cookie (Set-Cookie)"),
                    List.of());
        }
        checkSessionId(response.statusCode(), sessionId);
        checkCsrfToken(response.statusCode(), csrfToken);
        int messaging = 0;
        for (JsonNode feature : json.path("features")) {
            if ("messaging".equals(feature.path("featureId").asText())) {
                messaging = feature.path("version").asInt(0);
            }
        }
        List<String> alternates = new ArrayList<>();
        json.path("alternateHostList").forEach(n -> alternates.add(n.asText()));
        return new Login(new IcwsSession(server, sessionId, csrfToken, cookies, messaging), alternates);
    }

    /**
     * Refuses a session id that is not {@link #SESSION_ID}: it goes into every later request's path.
     *
     * @throws IcwsRequestException a failed login, showing the value safely (one line, bounded)
     */
    static void checkSessionId(int status, String sessionId) {
        if (!SESSION_ID.matcher(sessionId).matches()) {
            throw new IcwsRequestException(IcwsCall.LOGIN, status, null, "the sessionId '"
                    + SafeText.line(sessionId, 140) + "' (" + sessionId.length() + " characters) is not a plain "
                    + "session id ([A-Za-z0-9._~-], 1 to 128 characters, not only dots); it is not used", List.of());
        }
    }

    /**
     * Refuses a CSRF token that is not a plain header value. The token is a credential: the message says what is
     * wrong with it, never what it is.
     *
     * @throws IcwsRequestException a failed login
     */
    static void checkCsrfToken(int status, String csrfToken) {
        if (!CSRF_TOKEN.matcher(csrfToken).matches()) {
            String why;
            int bad = -1;
            for (int i = 0; i < csrfToken.length() && bad < 0; i++) {
                char c = csrfToken.charAt(i);
                if (c < 0x20 || c > 0x7E) {
                    bad = i;
                }
            }
            if (csrfToken.isEmpty()) {
                why = "is empty";
            } else if (bad >= 0) {
                char c = csrfToken.charAt(bad);
                why = "holds " + (c == '\r' ? "a CR" : c == '\n' ? "a LF" : c < 0x20 || c == 0x7F ? "a control character"
                        : "a character that is not ASCII") + String.format(" (U+%04X) at position %d", (int) c, bad);
            } else if (csrfToken.length() > 4096) {
                why = "is longer than 4096 characters (" + csrfToken.length() + ")";
            } else {
                why = "starts or ends with a space";
            }
            throw new IcwsRequestException(IcwsCall.LOGIN, status, null, "the csrfToken " + why
                    + "; it cannot be sent as a header value", List.of());
        }
    }

    /**
     * Every cookie the answer sets, as one {@code Cookie} header value: the session cookie and any other
     * (a load balancer's), each {@code name=value}, attributes dropped. A cookie whose name or value holds a
     * control character, a space or a character that is not ASCII (it could not be sent back as a header) is left out.
     */
    static String cookies(HttpResponse<?> response) {
        Map<String, String> cookies = new LinkedHashMap<>();
        for (String header : response.headers().allValues("Set-Cookie")) {
            String pair = header.split(";", 2)[0].trim();
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
                cookies.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        StringBuilder b = new StringBuilder();
        cookies.forEach((name, value) -> b.append(b.length() == 0 ? "" : "; ").append(name).append('=').append(value));
        return b.toString();
    }

    /** {@code PUT …/messaging/subscriptions/licenses} with the connection's licenses. */
    public CompletableFuture<Void> subscribe(IcwsSession session) {
        ObjectNode body = MAPPER.createObjectNode();
        settings.licenses().forEach(body.putArray("licenseList")::add);
        HttpRequest request = request(session.server(), IcwsCall.SUBSCRIBE, session, "")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        return send(IcwsCall.SUBSCRIBE, request);
    }

    /** {@code DELETE …/messaging/subscriptions/licenses}. */
    public CompletableFuture<Void> unsubscribe(IcwsSession session, Duration timeout) {
        return send(IcwsCall.UNSUBSCRIBE, request(session.server(), IcwsCall.UNSUBSCRIBE, session, "")
                .timeout(positive(timeout)).DELETE().build());
    }

    /** {@code DELETE …/connection}. */
    public CompletableFuture<Void> logout(IcwsSession session, Duration timeout) {
        return send(IcwsCall.LOGOUT, request(session.server(), IcwsCall.LOGOUT, session, "")
                .timeout(positive(timeout)).DELETE().build());
    }

    /**
     * {@code POST …/messaging/heartbeat}: tells the server the session is in use. A session that only listens on its
     * event stream makes no request; the protocol notes say a session unused for a while times out, and say nothing
     * of an open stream counting as use, so the connection sends this on a timer ({@code icws.session.heartbeat}).
     */
    public CompletableFuture<Void> heartbeat(IcwsSession session) {
        return send(IcwsCall.HEARTBEAT, request(session.server(), IcwsCall.HEARTBEAT, session, "")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** {@code GET /icws/connection/features}: the {@code messaging} version the server offers (0 if none). */
    public CompletableFuture<Integer> messagingVersion(URI server) {
        HttpRequest request = request(server, IcwsCall.FEATURES, null, "").GET().build();
        return cancelling(http.sendAsync(request, BODY), r -> {
            if (r.statusCode() != 200) {
                throw failure(IcwsCall.FEATURES, r);
            }
            for (JsonNode feature : parse(IcwsCall.FEATURES, r).path("featureInfoList")) {
                if ("messaging".equals(feature.path("featureId").asText())) {
                    return feature.path("version").asInt(0);
                }
            }
            return 0;
        });
    }

    /**
     * Opens the session's server-sent event stream; events go to the listener as they arrive. The answer's headers
     * must come within {@code icws.http.response-timeout} (else the stream ends with an
     * {@link java.net.http.HttpTimeoutException}); the body has no time-out: the connection's idle watchdog
     * ({@code icws.sse.idle-timeout}) replaces a silent stream.
     */
    public EventStream openStream(IcwsSession session, EventStream.Listener listener) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(session.server() + IcwsCall.STREAM.path(session.sessionId())))
                .timeout(settings.responseTimeout())
                .header("Accept", "text/event-stream")
                .header("Accept-Language", settings.acceptLanguage())
                .header("Cache-Control", "no-cache")
                .header("Cookie", session.cookies())
                .GET()
                .build();
        return EventStream.open(http, request, listener, maxEventBytes);
    }

    private HttpRequest.Builder request(URI server, IcwsCall call, IcwsSession session, String query) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + call.path(session == null ? null
                        : session.sessionId()) + query))
                .timeout(settings.responseTimeout())
                .header("Accept", JSON + ", application/json")
                .header("Accept-Language", settings.acceptLanguage());
        if (session != null) {
            b.header("ININ-ICWS-CSRF-Token", session.csrfToken());
            b.header("Cookie", session.cookies());
        }
        return b;
    }

    private CompletableFuture<Void> send(IcwsCall call, HttpRequest request) {
        return cancelling(http.sendAsync(request, BODY), r -> {
            if (r.statusCode() < 200 || r.statusCode() > 299) {
                throw failure(call, r);
            }
            return null;
        });
    }

    private static Duration positive(Duration timeout) {
        return timeout.isNegative() || timeout.isZero() ? Duration.ofMillis(1) : timeout;
    }

    static IcwsRequestException failure(IcwsCall call, HttpResponse<String> response) {
        return IcwsRequestException.of(call, response.statusCode(), response.body());
    }

    private static JsonNode parse(IcwsCall call, HttpResponse<String> response) {
        try {
            return MAPPER.readTree(response.body() == null ? "" : response.body());
        } catch (JsonProcessingException e) {
            throw new IcwsRequestException(call, response.statusCode(), null, "the answer is not JSON", List.of());
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json == null ? null : json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
