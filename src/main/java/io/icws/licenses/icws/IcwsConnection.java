package io.icws.licenses.icws;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ICWS session of one server and user, as the routes see it: it builds each request (method, URL,
 * headers, body) for camel-http, reads each answer, and keeps the session id, CSRF token and cookie that
 * every later request carries. It also decides when the routes may try again after a failure (capped
 * exponential backoff, reset on success) and which host to try (the configured servers and the
 * {@code alternateHostList} a server names).
 *
 * <p>The routes stay in charge of the flow: they call {@code prepare…} before the HTTP endpoint and
 * {@code on…Response} after it; failures travel as exceptions that the routes' error handling hands to
 * {@link #onFailure(Exception, IcwsCall)}. Thread-safe: the poll timer and the Quartz re-subscription run on
 * different threads.
 */
public class IcwsConnection {

    /** Exchange property naming the call in flight, so the response is read for the right request. */
    public static final String CALL_PROPERTY = "IcwsCall";

    private static final Logger LOG = LoggerFactory.getLogger(IcwsConnection.class);
    private static final String JSON = "application/vnd.inin.icws+JSON";

    /** Where the connection stands; the health check reports it. */
    public enum Status { DISCONNECTED, LOGGED_IN, SUBSCRIBED, FAILED, CLOSED }

    private final ObjectMapper mapper = new ObjectMapper();
    private final List<URI> configuredServers;
    private final String user;
    private final String password;
    private final String applicationName;
    private final String acceptLanguage;
    private final List<String> licenses;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final Clock clock;

    private IcwsSession session;
    private Status status = Status.DISCONNECTED;
    private String lastProblem = "not connected yet";
    private List<URI> candidates;
    private int candidateIndex;
    private Duration currentDelay;
    private Instant nextAttempt = Instant.MIN;
    private boolean permanentFailure;

    public IcwsConnection(List<URI> servers, String user, String password, String applicationName,
                          String acceptLanguage, List<String> licenses, Duration initialDelay, Duration maxDelay,
                          Clock clock) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one ICWS server is needed");
        }
        this.configuredServers = List.copyOf(servers);
        this.user = user;
        this.password = password;
        this.applicationName = applicationName;
        this.acceptLanguage = acceptLanguage;
        this.licenses = List.copyOf(licenses);
        this.initialDelay = initialDelay;
        this.maxDelay = maxDelay;
        this.clock = clock;
        this.candidates = new ArrayList<>(configuredServers);
    }

    // ---------------------------------------------------------------- gates the routes ask

    /** True when there is no session and the backoff after the last failure has passed. */
    public synchronized boolean shouldConnect() {
        return session == null && status != Status.CLOSED && !permanentFailure && backoffOver();
    }

    /** True when a session exists and the backoff after the last failure has passed. */
    public synchronized boolean readyToPoll() {
        return session != null && status != Status.CLOSED && backoffOver();
    }

    /** True while logged in: the session must be closed on shutdown. */
    public synchronized boolean hasSession() {
        return session != null;
    }

    /**
     * The scheduled re-subscription asks whether to PUT again: yes while a session exists. It also ends the
     * wait after a permanent failure (400/410), so a fault an administrator fixed is retried by the poll
     * loop after the next cron firing, not in a storm.
     */
    public synchronized boolean onSchedule() {
        if (permanentFailure) {
            LOG.info("Scheduled retry after a permanent failure: {}", lastProblem);
            permanentFailure = false;
            nextAttempt = Instant.MIN;
        }
        return session != null && status != Status.CLOSED;
    }

    public synchronized Status status() {
        return status;
    }

    /**
     * Ready to report changes: logged in and subscribed, and the last request did not fail. A server that
     * answers 500 or times out makes this false until a request succeeds again.
     */
    public synchronized boolean healthy() {
        return status == Status.SUBSCRIBED && currentDelay == null && !permanentFailure;
    }

    /** What went wrong last, in words (which call, which status); "ok" while subscribed. */
    public synchronized String lastProblem() {
        return lastProblem;
    }

    public synchronized Optional<IcwsSession> session() {
        return Optional.ofNullable(session);
    }

    /** The server in use, or the one the next login will try. */
    public synchronized URI currentServer() {
        return session != null ? session.server() : candidates.get(candidateIndex);
    }

    // ---------------------------------------------------------------- requests

    /** {@code POST /icws/connection?include=features} with the user's credentials. */
    public void prepareLogin(Exchange exchange) throws JsonProcessingException {
        URI server;
        synchronized (this) {
            server = candidates.get(candidateIndex);
        }
        ObjectNode body = mapper.createObjectNode()
                .put("__type", "urn:inin.com:connection:icAuthConnectionRequestSettings")
                .put("applicationName", applicationName)
                .put("userID", user)
                .put("password", password);
        Message message = request(exchange, IcwsCall.LOGIN, server, null);
        message.setHeader(Exchange.HTTP_URI, server + IcwsCall.LOGIN.path(null) + "?include=features");
        message.setBody(new SecretJsonEntity(mapper.writeValueAsBytes(body)));
    }

    /** {@code PUT …/messaging/subscriptions/licenses} with {@code icws.licenses}. */
    public void prepareSubscribe(Exchange exchange) throws JsonProcessingException {
        IcwsSession s = requireSession(IcwsCall.SUBSCRIBE);
        Message message = request(exchange, IcwsCall.SUBSCRIBE, s.server(), s);
        ObjectNode body = mapper.createObjectNode();
        licenses.forEach(body.putArray("licenseList")::add);
        message.setBody(mapper.writeValueAsString(body));
    }

    /** {@code GET …/messaging/messages}: the messages queued since the last call. */
    public void prepareMessages(Exchange exchange) {
        IcwsSession s = requireSession(IcwsCall.MESSAGES);
        request(exchange, IcwsCall.MESSAGES, s.server(), s).setBody(null);
    }

    /** {@code DELETE …/messaging/subscriptions/licenses}. */
    public void prepareUnsubscribe(Exchange exchange) {
        IcwsSession s = requireSession(IcwsCall.UNSUBSCRIBE);
        request(exchange, IcwsCall.UNSUBSCRIBE, s.server(), s).setBody(null);
    }

    /** {@code DELETE …/connection}. */
    public void prepareLogout(Exchange exchange) {
        IcwsSession s = requireSession(IcwsCall.LOGOUT);
        request(exchange, IcwsCall.LOGOUT, s.server(), s).setBody(null);
    }

    private Message request(Exchange exchange, IcwsCall call, URI server, IcwsSession s) {
        exchange.setProperty(CALL_PROPERTY, call);
        Message message = exchange.getMessage();
        message.setHeader(Exchange.HTTP_METHOD, call.method());
        message.setHeader(Exchange.HTTP_URI, server + call.path(s == null ? null : s.sessionId()));
        message.setHeader("Accept", JSON + ", application/json");
        message.setHeader("Accept-Language", acceptLanguage);
        if (call == IcwsCall.LOGIN || call == IcwsCall.SUBSCRIBE) {
            message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        }
        if (s != null) {
            message.setHeader("ININ-ICWS-CSRF-Token", s.csrfToken());
            message.setHeader("Cookie", s.cookie());
        }
        return message;
    }

    private synchronized IcwsSession requireSession(IcwsCall call) {
        if (session == null) {
            throw new IllegalStateException(call.describe() + " needs an ICWS session; there is none");
        }
        return session;
    }

    // ---------------------------------------------------------------- responses

    /** Reads the login answer: keeps session id, CSRF token and cookie; anything but 201 is thrown. */
    public void onLoginResponse(Exchange exchange) {
        Message message = exchange.getMessage();
        int code = statusOf(message);
        String body = message.getBody(String.class);
        String setCookie = message.getHeader("Set-Cookie", String.class);
        clearResponse(message);
        if (code != 201) {
            throw failure(IcwsCall.LOGIN, code, body);
        }
        JsonNode json = parse(body);
        String sessionId = text(json, "sessionId");
        String csrfToken = text(json, "csrfToken");
        String cookie = setCookie == null ? null : setCookie.split(";", 2)[0].trim();
        if (sessionId == null || csrfToken == null || cookie == null || !cookie.contains("=")) {
            throw new IcwsRequestException(IcwsCall.LOGIN, code, null,
                    "the answer lacks " + (sessionId == null ? "sessionId" : csrfToken == null ? "csrfToken"
                            : "the session cookie (Set-Cookie)"), List.of());
        }
        synchronized (this) {
            URI server = candidates.get(candidateIndex);
            session = new IcwsSession(server, sessionId, csrfToken, cookie);
            status = Status.LOGGED_IN;
            lastProblem = "logged in, not subscribed yet";
            // Remember the peers the server names, for a switchover later.
            List<String> alternates = new ArrayList<>();
            json.path("alternateHostList").forEach(n -> alternates.add(n.asText()));
            candidates = candidatesWith(server, alternates);
            candidateIndex = candidates.indexOf(server);
        }
        LOG.info("Logged in to ICWS {} as {} (session {})", currentServer(), user, sessionId);
    }

    /** Reads any other answer: a 2xx passes (the body stays for the messages call); anything else is thrown. */
    public void onResponse(Exchange exchange) {
        Message message = exchange.getMessage();
        IcwsCall call = exchange.getProperty(CALL_PROPERTY, IcwsCall.class);
        int code = statusOf(message);
        String body = message.getBody(String.class);
        clearResponse(message);
        if (code < 200 || code > 299) {
            throw failure(call, code, body);
        }
        message.setBody(body == null || body.isBlank() ? (call == IcwsCall.MESSAGES ? "[]" : null) : body);
        synchronized (this) {
            switch (call) {
                case SUBSCRIBE -> {
                    if (status != Status.SUBSCRIBED) {
                        LOG.info("Subscribed to license messages for {}", licenses);
                    }
                    status = Status.SUBSCRIBED;
                    lastProblem = "ok";
                }
                case MESSAGES -> {
                    succeeded();
                    if (status == Status.SUBSCRIBED) {
                        lastProblem = "ok";
                    }
                }
                case LOGOUT -> dropSession("logged out");
                default -> { }
            }
        }
    }

    private static int statusOf(Message message) {
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        return status == null ? 0 : status;
    }

    /** Response headers hold the CSRF token and cookie: none of them travels further in the route. */
    private static void clearResponse(Message message) {
        message.removeHeaders("*");
        message.setBody(null);
    }

    private IcwsRequestException failure(IcwsCall call, int status, String body) {
        String errorId = null;
        String serverMessage = null;
        List<String> alternates = new ArrayList<>();
        try {
            JsonNode json = body == null || body.isBlank() ? null : mapper.readTree(body);
            if (json != null) {
                errorId = text(json, "errorId");
                serverMessage = text(json, "message");
                json.path("alternateHostList").forEach(n -> alternates.add(n.asText()));
            }
        } catch (JsonProcessingException e) {
            serverMessage = "(error body is not JSON)";
        }
        return new IcwsRequestException(call, status, errorId, serverMessage, alternates);
    }

    private JsonNode parse(String body) {
        try {
            return mapper.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new IcwsRequestException(IcwsCall.LOGIN, 201, null, "the answer is not JSON", List.of());
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json == null ? null : json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    // ---------------------------------------------------------------- messages that change the session

    /** A {@code connectionStateChangeMessage}: on {@code down} the session is over and a new one is needed. */
    public synchronized void onConnectionStateChange(String newState, String reason) {
        if ("down".equalsIgnoreCase(newState) && session != null) {
            LOG.warn("ICWS reports the session is down ({}); logging in again", reason);
            dropSession("the server closed the session: " + reason);
        }
    }

    /** A {@code subscriptionStateMessage} reporting a fault: subscribe again on the next poll. */
    public synchronized void onSubscriptionFault(String error) {
        LOG.warn("ICWS reports the license subscription faulted ({}); subscribing again", error);
        if (status == Status.SUBSCRIBED) {
            status = Status.LOGGED_IN;
        }
        lastProblem = "subscription faulted: " + error;
    }

    /** True when logged in but the subscription must be (re)made, and the backoff has passed. */
    public synchronized boolean needsSubscribe() {
        return session != null && status == Status.LOGGED_IN && backoffOver();
    }

    // ---------------------------------------------------------------- failures and backoff

    /**
     * Called by the routes' error handling with whatever a call threw. Decides what comes next: a
     * 401 drops the session (log in again at once); a switchover moves to the next host; a transient
     * fault waits, doubling the delay up to the cap; a permanent one waits for the next scheduled run.
     * Logs once per failure, so a backoff step logs one line, not one per poll.
     *
     * @param call the request that failed ({@link #CALL_PROPERTY}), or null when none was under way
     */
    public synchronized void onFailure(Exception failure, IcwsCall call) {
        String problem = describe(failure);
        if (call == IcwsCall.MESSAGES && session != null && status == Status.SUBSCRIBED) {
            // The server may have dequeued messages whose answer never arrived (a time-out, a broken
            // connection). A new PUT brings a full isDelta:false snapshot, diffed against the state, so no
            // change is lost and none is reported twice.
            status = Status.LOGGED_IN;
        }
        if (failure instanceof IcwsRequestException e) {
            switch (e.kind()) {
                case SESSION_EXPIRED -> {
                    LOG.warn("{}: the session is gone, logging in again", problem);
                    dropSession(problem);
                    return;
                }
                case PERMANENT -> {
                    permanentFailure = e.call() == IcwsCall.LOGIN || e.call() == IcwsCall.SUBSCRIBE;
                    if (e.call() == IcwsCall.SUBSCRIBE && session != null) {
                        status = Status.LOGGED_IN;
                    }
                    lastProblem = problem;
                    if (permanentFailure) {
                        status = session == null ? Status.FAILED : status;
                        LOG.error("{}. This will not succeed by retrying; trying again at the next "
                                + "scheduled subscription (icws.subscribe.cron)", problem);
                    } else {
                        LOG.error("{}", problem);
                    }
                    return;
                }
                case SWITCHOVER -> {
                    URI from = candidates.get(candidateIndex);
                    candidates = candidatesWith(from, e.alternateHosts());
                    dropSession(problem);
                    if (advanceCandidate()) {
                        scheduleRetry(); // a whole round failed: wait before the next
                    }
                    LOG.warn("{}: switching over from {} to {}", problem, from, candidates.get(candidateIndex));
                    return;
                }
                default -> { }
            }
        }
        lastProblem = problem;
        if (session == null) {
            status = Status.FAILED;
            advanceCandidate();
        }
        scheduleRetry();
        LOG.warn("{}; trying again in {} ms", problem, currentDelay.toMillis());
    }

    /** Shutdown has begun: no new session will be made. */
    public synchronized void close() {
        status = Status.CLOSED;
    }

    /** Forgets the session without telling the server (it is gone already, or unreachable). */
    public synchronized void dropSession(String why) {
        session = null;
        if (status != Status.CLOSED) {
            status = Status.DISCONNECTED;
        }
        lastProblem = why;
    }

    /** A poll went through: the whole cycle works again, so the backoff starts afresh. */
    private void succeeded() {
        currentDelay = null;
        nextAttempt = Instant.MIN;
    }

    private void scheduleRetry() {
        currentDelay = currentDelay == null ? initialDelay
                : Duration.ofMillis(Math.min(maxDelay.toMillis(), currentDelay.toMillis() * 2));
        nextAttempt = clock.instant().plus(currentDelay);
    }

    /** Moves to the next host to log in to; true when that starts a new round. */
    private boolean advanceCandidate() {
        candidateIndex = (candidateIndex + 1) % candidates.size();
        return candidateIndex == 0;
    }

    private boolean backoffOver() {
        return !clock.instant().isBefore(nextAttempt);
    }

    /** The configured servers plus the named peers, peers first after the current host, no duplicates. */
    private List<URI> candidatesWith(URI current, List<String> alternateHosts) {
        Map<String, URI> byAuthority = new LinkedHashMap<>();
        byAuthority.put(current.getAuthority(), current);
        for (String host : alternateHosts) {
            if (host == null || host.isBlank() || host.contains("/") || host.contains("@")) {
                continue;
            }
            int port = current.getPort();
            URI peer = URI.create(current.getScheme() + "://" + host.trim() + (port > 0 ? ":" + port : ""));
            byAuthority.putIfAbsent(peer.getAuthority(), peer);
        }
        for (URI configured : configuredServers) {
            byAuthority.putIfAbsent(configured.getAuthority(), configured);
        }
        return new ArrayList<>(byAuthority.values());
    }

    private String describe(Exception failure) {
        if (failure instanceof IcwsRequestException) {
            return failure.getMessage();
        }
        Throwable root = failure;
        boolean tls = false;
        while (root.getCause() != null && root.getCause() != root) {
            tls |= root instanceof javax.net.ssl.SSLException;
            root = root.getCause();
        }
        if (tls || root instanceof javax.net.ssl.SSLException) {
            return "TLS handshake with " + candidates.get(candidateIndex) + " failed: " + root.getMessage()
                    + " (is the server's certificate, or its CA, in icws.tls.trust-store?)";
        }
        String what = root.getClass().getSimpleName();
        return "ICWS request failed: " + what + (root.getMessage() == null ? "" : " (" + root.getMessage() + ")");
    }
}
