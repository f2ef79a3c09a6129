package io.icws.licenses.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ICWS (Genesys PureConnect Interaction Center Web Services) HTTP server simulator: log in, session
 * cookie and CSRF checks, the licenses subscription, short-poll and server-sent-event messaging, session
 * time-out, plus an admin API under {@code /simulator/} to change license assignments, expire sessions,
 * inject faults and read the request log. See {@code docs/SIMULATOR.md}.
 *
 * <pre>{@code
 * try (IcwsSimulator sim = IcwsSimulator.builder().port(0).build().start()) {
 *     URI base = sim.baseUri(); // http://127.0.0.1:PORT
 *     sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", true);
 * }
 * }</pre>
 *
 * With {@link Builder#tls(boolean) tls(true)} it serves HTTPS with a self-signed certificate made at
 * {@link #start()}; {@link #certificate()} and {@link #writeTrustStore(Path, char[])} let clients trust it.
 *
 * Event streams follow one rule: the newest reader of a session (a new stream or a short poll) gets the messages
 * and ends the session's older streams; see {@code docs/SIMULATOR.md}, section Event streams.
 *
 * Thread-safe. Uses only the JDK HTTP server and Jackson.
 */
public final class IcwsSimulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IcwsSimulator.class);

    static final String LICENSE_MESSAGE_TYPE = "urn:inin.com:licenses:licenseMessage";
    static final String STATE_CHANGE_TYPE = "urn:inin.com:connection:connectionStateChangeMessage";
    static final int MAX_REQUEST_LOG = 10_000;
    /**
     * An open event stream holds a thread: room for 1,000 streams and a request of each of them at once (a cron
     * re-subscription without jitter). Past it the JDK server drops the connection without an answer: the client
     * waits for its time-out.
     */
    static final int MAX_THREADS = 2_200;
    /** Connections waiting to be accepted: 1,000 clients logging in within a few seconds open that many. */
    static final int BACKLOG = 1_024;

    final ObjectMapper mapper = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    static {
        // The JDK server writes a response's headers and body in separate packets; without TCP_NODELAY, Nagle's
        // algorithm and the client's delayed ACK add ~40 ms to every answer. Read once, when the JDK's
        // ServerConfig loads; set only if nobody chose otherwise.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final String host;
    private final int requestedPort;
    private final Duration sessionTimeout;
    private final Duration keepAliveInterval;
    private final int messagingVersion;
    private final boolean eventStreams;
    private final boolean tls;
    private volatile boolean flatLicenseMessages;
    private final Map<String, UserState> users = new ConcurrentHashMap<>();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final List<ActiveFault> faults = new ArrayList<>(); // guarded by itself
    private final ArrayDeque<RecordedRequest> requestLog = new ArrayDeque<>(); // guarded by itself
    private final ArrayDeque<ReceivedRequest> receivedLog = new ArrayDeque<>(); // guarded by requestLog
    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final java.util.concurrent.atomic.LongAdder keepAlives = new java.util.concurrent.atomic.LongAdder();

    private final Object lifecycle = new Object();
    private HttpServer server;
    private SelfSignedTls serverTls; // set at start when tls
    private ThreadPoolExecutor executor;
    private ScheduledExecutorService reaper;
    private volatile boolean closed;
    private volatile boolean gone; // stopListening(): no server socket until startListening()
    private int boundPort; // guarded by lifecycle
    private long listenings; // guarded by lifecycle: how many times a server socket was opened

    private final Object hangLock = new Object();
    private Hang hang; // guarded by hangLock
    private long hangGeneration; // guarded by hangLock: changes when the hang is released or the server goes
    private int held; // guarded by hangLock

    private IcwsSimulator(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.sessionTimeout = b.sessionTimeout;
        this.keepAliveInterval = b.keepAliveInterval;
        this.messagingVersion = b.messagingVersion;
        this.eventStreams = b.eventStreams;
        this.tls = b.tls;
        this.flatLicenseMessages = b.flatLicenseMessages;
        for (SimulatedUser u : b.users) {
            if (users.putIfAbsent(u.userId(), new UserState(u)) != null) {
                throw new IllegalArgumentException("duplicate user " + u.userId());
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the server and starts answering. Returns this. */
    public IcwsSimulator start() {
        synchronized (lifecycle) {
            if (server != null) {
                throw new IllegalStateException("already started");
            }
            if (closed) {
                throw new IllegalStateException("closed");
            }
            SelfSignedTls madeTls = null;
            if (tls) {
                long t0 = System.nanoTime();
                madeTls = SelfSignedTls.generate(host);
                LOG.info("Made a self-signed TLS certificate for {} in {} ms",
                        SelfSignedTls.subjectAltNames(host), (System.nanoTime() - t0) / 1_000_000);
            }
            // a thread per request or stream while there is one, made when none is idle (a stream never waits
            // behind other streams: 200 open streams must not keep a log-out from being answered)
            executor = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS,
                    new SynchronousQueue<>(), daemonThreads("icws-sim-http"));
            serverTls = madeTls;
            try {
                listen(requestedPort);
            } catch (UncheckedIOException e) {
                executor.shutdownNow();
                serverTls = null;
                throw e;
            }
            reaper = Executors.newSingleThreadScheduledExecutor(daemonThreads("icws-sim-reaper"));
            long period = Math.max(10, Math.min(1000, sessionTimeout.toMillis() / 4));
            reaper.scheduleAtFixedRate(this::reapIdleSessions, period, period, TimeUnit.MILLISECONDS);
            LOG.info("ICWS simulator listening on {}", baseUri());
            return this;
        }
    }

    /** Opens the server socket on the port (0: a free one) and serves; under lifecycle. */
    private void listen(int port) {
        HttpServer made;
        try {
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (serverTls != null) {
                HttpsServer https = HttpsServer.create(address, BACKLOG);
                https.setHttpsConfigurator(new HttpsConfigurator(serverTls.sslContext));
                made = https;
            } else {
                made = HttpServer.create(address, BACKLOG);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind " + host + ":" + port, e);
        }
        made.setExecutor(executor);
        made.createContext("/", new SimulatorHandler(this));
        made.start();
        server = made;
        boundPort = made.getAddress().getPort();
        listenings++;
    }

    // ---------------------------------------------------------------- gone for good, hung

    /**
     * The server is gone for good (same as {@code POST /simulator/gone}): the listening socket is closed, so new
     * connections are refused; every open connection (streams, requests held by a {@link #hang}) is cut and every
     * session is forgotten without a word (no {@code connectionStateChangeMessage}, as when a machine dies). The
     * admin API goes with it. {@link #startListening()} brings the server back on the same port. Idempotent.
     *
     * @throws IllegalStateException if not started or closed
     */
    public void stopListening() {
        synchronized (lifecycle) {
            requireRunning();
            if (gone) {
                return;
            }
            gone = true;
            synchronized (hangLock) {
                hangGeneration++;
                hangLock.notifyAll();
            }
            for (Session s : sessions.values()) {
                endSession(s, null, "the server went away");
            }
            server.stop(0);
            LOG.info("ICWS simulator gone: no longer listening on {}:{}", host, boundPort);
        }
    }

    /**
     * Brings the server back after {@link #stopListening()}, on the same port (a restarted server: no sessions,
     * users and their licenses as they were; a pending {@link #hang} and faults stay). Does nothing while listening.
     *
     * @throws java.io.UncheckedIOException if the port cannot be bound again (another process took it)
     * @throws IllegalStateException        if not started or closed
     */
    public void startListening() {
        synchronized (lifecycle) {
            requireRunning();
            if (!gone) {
                return;
            }
            listen(boundPort);
            gone = false;
            LOG.info("ICWS simulator back, listening on {}", baseUri());
        }
    }

    /** True between {@link #stopListening()} and {@link #startListening()}. */
    public boolean isGone() {
        return gone;
    }

    /** {@link #stopListening()} now (after the admin answer went out), back after {@code backAfter} if not null. */
    void goAway(Duration backAfter) {
        ScheduledExecutorService r;
        synchronized (lifecycle) {
            requireRunning();
            r = reaper;
        }
        r.execute(this::stopListening);
        if (backAfter != null) {
            r.schedule(() -> {
                try {
                    startListening();
                } catch (RuntimeException e) {
                    LOG.error("The simulator could not come back on port {}: {}", boundPort, e.toString());
                }
            }, backAfter.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void requireRunning() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (server == null) {
            throw new IllegalStateException("not started");
        }
    }

    /**
     * The server hangs (same as {@code POST /simulator/hang}): it still accepts connections and reads each request's
     * line and headers, but never answers the matching ICWS requests until {@link #releaseHang()} — and open event
     * streams of matching paths stop sending anything, keep-alives included (their messages wait in the queue).
     * Replaces an earlier hang. Admin requests are never held.
     *
     * @param pathContains     only ICWS requests whose path contains this; null or empty: every ICWS request
     * @param eventStreamsOnly only event-stream requests ({@code Accept: text/event-stream}) and open streams; short
     *                         polls and the other calls are answered
     */
    public void hang(String pathContains, boolean eventStreamsOnly) {
        synchronized (hangLock) {
            hang = new Hang(pathContains == null || pathContains.isEmpty() ? null : pathContains, eventStreamsOnly);
        }
        LOG.info("ICWS simulator hangs on {}{}", pathContains == null || pathContains.isEmpty() ? "every ICWS request"
                : "paths containing " + pathContains, eventStreamsOnly ? " (event streams only)" : "");
    }

    /** Hangs on every ICWS request, see {@link #hang(String, boolean)}. */
    public void hang() {
        hang(null, false);
    }

    /**
     * Ends the hang (same as {@code DELETE /simulator/hang}): held requests are answered as if they had just
     * arrived, frozen streams go on.
     *
     * @return how many requests and streams were held
     */
    public int releaseHang() {
        synchronized (hangLock) {
            int n = held;
            hang = null;
            hangGeneration++;
            hangLock.notifyAll();
            LOG.info("ICWS simulator hang released ({} held)", n);
            return n;
        }
    }

    /** Requests and streams held by the hang now. */
    public int heldRequests() {
        synchronized (hangLock) {
            return held;
        }
    }

    /**
     * Holds the calling request or stream while a hang matches it.
     *
     * @return false when the request must be dropped unanswered (the server went away or closed meanwhile)
     */
    boolean holdWhileHung(String path, boolean stream) throws InterruptedException {
        synchronized (hangLock) {
            if (hang == null || !hang.matches(path, stream)) {
                return !gone && !closed;
            }
            held++;
            try {
                while (hang != null && hang.matches(path, stream) && !gone && !closed) {
                    hangLock.wait();
                }
            } finally {
                held--;
            }
            return !gone && !closed;
        }
    }

    private record Hang(String pathContains, boolean eventStreamsOnly) {
        boolean matches(String path, boolean stream) {
            return (!eventStreamsOnly || stream) && (pathContains == null || path.contains(pathContains));
        }
    }

    /**
     * The base URI, e.g. {@code http://127.0.0.1:18018}, or {@code https://…} with TLS (no trailing slash, no
     * {@code /icws}).
     */
    public URI baseUri() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create((tls ? "https://" : "http://") + h + ":" + port());
    }

    /**
     * The self-signed server certificate ({@code CN=localhost}; SubjectAlternativeName {@code DNS:localhost},
     * {@code IP:127.0.0.1} and the bound host), made at {@link #start()}.
     *
     * @throws IllegalStateException if the simulator does not use TLS or is not started
     */
    public X509Certificate certificate() {
        if (!tls) {
            throw new IllegalStateException("the simulator does not use TLS (see Builder.tls)");
        }
        synchronized (lifecycle) {
            if (serverTls == null) {
                throw new IllegalStateException("not started");
            }
            return serverTls.certificate;
        }
    }

    /**
     * Writes a PKCS12 trust store holding just {@link #certificate()} as a trusted entry, alias
     * {@code icws-simulator}; an existing file is replaced.
     *
     * @throws IllegalStateException if the simulator does not use TLS or is not started
     * @throws java.io.UncheckedIOException if the file cannot be written
     */
    public void writeTrustStore(Path file, char[] password) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(password, "password");
        SelfSignedTls.writeTrustStore(certificate(), file, password);
    }

    /** The bound port. */
    public int port() {
        synchronized (lifecycle) {
            if (server == null) {
                throw new IllegalStateException("not started");
            }
            return boundPort;
        }
    }

    Duration keepAliveInterval() {
        return keepAliveInterval;
    }

    /** The version of the {@code messaging} feature reported; below 2 there are no event streams. */
    int messagingVersion() {
        return messagingVersion;
    }

    /** False when stream requests are refused with 404 (see {@link Builder#eventStreams(boolean)}). */
    boolean eventStreams() {
        return eventStreams;
    }

    /**
     * The number of event streams being served now, over all sessions. A stream counts until its response has
     * ended: one whose client left counts until the server notices (its next write fails).
     */
    public int openStreams() {
        return openStreams.get();
    }

    /** Keep-alive comments written on event streams since the start, for a benchmark's count of them. */
    public long keepAlivesWritten() {
        return keepAlives.sum();
    }

    void keepAliveWritten() {
        keepAlives.increment();
    }

    void streamOpened() {
        openStreams.incrementAndGet();
    }

    void streamClosed() {
        openStreams.decrementAndGet();
    }

    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- users and licenses

    /**
     * Assigns or unassigns a license (same as {@code PUT /simulator/users/{user}/licenses/{license}}). On a
     * real change, each session of the user subscribed to that license gets an {@code isDelta:true} license
     * message. A license the user did not have becomes known.
     *
     * @return true if the assigned state changed
     * @throws NoSuchElementException for an unknown user
     */
    public boolean setLicenseAssigned(String user, String license, boolean assigned) {
        Objects.requireNonNull(license, "license");
        UserState u = user(user);
        synchronized (u) {
            Boolean previous = u.licenses.put(license, assigned);
            boolean changed = (previous != null && previous) != assigned;
            if (!changed) {
                return false;
            }
            List<String> messages = licenseMessages(true, List.of(license), u);
            int notified = 0;
            for (Session s : sessions.values()) {
                if (s.userId.equals(u.userId) && s.licenseSubscription != null
                        && s.licenseSubscription.contains(license)) {
                    messages.forEach(s::offer);
                    notified++;
                }
            }
            LOG.info("License {} of {} is now {}; notified {} session(s)", license, user,
                    assigned ? "assigned" : "unassigned", notified);
            return true;
        }
    }

    /**
     * Queues a raw JSON message to every session of the user (same as
     * {@code POST /simulator/users/{user}/messages}). The text is kept verbatim if it is on one line; JSON
     * spanning several lines is compacted to one line (an event-stream {@code data:} line carries one message).
     *
     * @return the number of sessions it was queued to
     * @throws NoSuchElementException   for an unknown user
     * @throws IllegalArgumentException if {@code rawJson} is not JSON
     */
    public int queueMessage(String user, String rawJson) {
        UserState u = user(user);
        if (rawJson == null || rawJson.isBlank()) {
            throw new IllegalArgumentException("message is empty");
        }
        String compact;
        try {
            JsonNode tree = mapper.readTree(rawJson);
            // one line per SSE data field: keep the text as it is unless it spans lines
            compact = rawJson.indexOf('\n') < 0 && rawJson.indexOf('\r') < 0
                    ? rawJson.strip() : mapper.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("message is not valid JSON: " + e.getOriginalMessage(), e);
        }
        int queued = 0;
        synchronized (u) {
            for (Session s : sessions.values()) {
                if (s.userId.equals(u.userId)) {
                    s.offer(compact);
                    queued++;
                }
            }
        }
        return queued;
    }

    /**
     * Cuts every open event stream: the server writes a last comment ({@code : closed by the simulator}) and ends the
     * response. Sessions stay; messages wait for the next stream or poll (as when a newer reader takes over, see
     * {@code docs/SIMULATOR.md}). A client sees its stream end and must open a new one (or poll).
     *
     * @return the number of streams cut
     */
    public int dropEventStreams() {
        int n = 0;
        for (Session s : sessions.values()) {
            n += s.dropStreams();
        }
        LOG.info("Dropped {} event stream(s)", n);
        return n;
    }

    /**
     * Writes a raw event-stream frame to the current stream of each session of the user (same as
     * {@code POST /simulator/users/{user}/event-stream-frames}), exactly as given: include the terminating blank
     * line, e.g. {@code "id: 7\nretry: 3000\ndata: {...}\n\n"} or {@code ": comment\n\n"}. Frames are not
     * queued: sessions without an open stream are skipped. Waits until each stream has written it (at most 5 s).
     *
     * @return the number of streams it was written to
     * @throws NoSuchElementException   for an unknown user
     * @throws IllegalArgumentException if {@code rawFrame} is null or empty
     */
    public int writeEventStreamFrame(String user, String rawFrame) {
        UserState u = user(user);
        if (rawFrame == null || rawFrame.isEmpty()) {
            throw new IllegalArgumentException("frame is empty");
        }
        return writeFrame(user, u, rawFrame.getBytes(java.nio.charset.StandardCharsets.UTF_8), "a raw event-stream frame");
    }

    /** The largest data {@link #writeOversizedEvent} makes: 64 MiB. */
    public static final int MAX_OVERSIZED_EVENT = 64 << 20;

    /**
     * Writes one event of exactly {@code dataBytes} bytes of data to the current stream of each session of the user
     * (same as {@code POST /simulator/users/{user}/oversized-event}), to test a client's limit. The data is a
     * padding message, {@code {"__type":"urn:inin.com:simulator:padding","isDelta":true,"padding":"xxx…"}} (only
     * {@code x} when smaller than that), cut into {@code data:} lines of at most {@code maxLineBytes} bytes; the lines'
     * values joined with {@code \n} are {@code dataBytes} bytes (so with more than one line it is not JSON any more:
     * only the size counts). Not queued; waits as {@link #writeEventStreamFrame} does.
     *
     * @return the number of streams that took the whole event (a client that cuts the stream at its limit is not
     *         counted)
     * @throws NoSuchElementException   for an unknown user
     * @throws IllegalArgumentException for sizes below 1, or data over {@link #MAX_OVERSIZED_EVENT}
     */
    public int writeOversizedEvent(String user, int dataBytes, int maxLineBytes) {
        UserState u = user(user);
        if (dataBytes < 1 || dataBytes > MAX_OVERSIZED_EVENT) {
            throw new IllegalArgumentException("dataBytes must be 1 to " + MAX_OVERSIZED_EVENT + ", got " + dataBytes);
        }
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be at least 1, got " + maxLineBytes);
        }
        long lines = ((long) dataBytes + 1 + maxLineBytes) / ((long) maxLineBytes + 1); // ceil((n+1)/(L+1))
        int content = (int) (dataBytes - (lines - 1));
        String prefix = "{\"__type\":\"urn:inin.com:simulator:padding\",\"isDelta\":true,\"padding\":\"";
        String suffix = "\"}";
        StringBuilder text = new StringBuilder(content);
        if (content >= prefix.length() + suffix.length()) {
            text.append(prefix).append("x".repeat(content - prefix.length() - suffix.length())).append(suffix);
        } else {
            text.append("x".repeat(content));
        }
        StringBuilder frame = new StringBuilder(dataBytes + (int) lines * 7 + 2);
        for (int at = 0; at < content; at += maxLineBytes) {
            frame.append("data:").append(text, at, Math.min(content, at + maxLineBytes)).append('\n');
        }
        frame.append('\n');
        return writeFrame(user, u, frame.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                "an event of " + dataBytes + " bytes of data");
    }

    /** {@link #writeOversizedEvent(String, int, int)} on one {@code data:} line. */
    public int writeOversizedEvent(String user, int dataBytes) {
        return writeOversizedEvent(user, dataBytes, dataBytes);
    }

    /**
     * Writes one event whose {@code data:} holds two JSON values, {@code first} and {@code second} separated by a
     * space (same as {@code POST /simulator/users/{user}/two-value-event}), to the current stream of each session of
     * the user: a lenient JSON reader keeps the first and drops the second without a word. Not queued.
     *
     * @return the number of streams it was written to
     * @throws NoSuchElementException   for an unknown user
     * @throws IllegalArgumentException if either is not one JSON value
     */
    public int writeTwoValueEvent(String user, String first, String second) {
        UserState u = user(user);
        String frame = "data: " + oneLine(first, "first") + " " + oneLine(second, "second") + "\n\n";
        return writeFrame(user, u, frame.getBytes(java.nio.charset.StandardCharsets.UTF_8), "a two-value event");
    }

    /**
     * {@link #writeTwoValueEvent(String, String, String)} with two license messages: an {@code isDelta:true} one with
     * an empty list, then an {@code isDelta:false} one with an empty list (which a client that took it would read
     * as "no license any more").
     */
    public int writeTwoValueEvent(String user) {
        return writeTwoValueEvent(user,
                "{\"__type\":\"" + LICENSE_MESSAGE_TYPE + "\",\"isDelta\":true,\"licenseAssignedStatusList\":[]}",
                "{\"__type\":\"" + LICENSE_MESSAGE_TYPE + "\",\"isDelta\":false,\"licenseAssignedStatusList\":[]}");
    }

    private String oneLine(String json, String what) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        try {
            return mapper.writeValueAsString(mapper.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not one JSON value: " + e.getOriginalMessage(), e);
        }
    }

    private int writeFrame(String user, UserState u, byte[] bytes, String what) {
        List<Session.Frame> frames = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (s.userId.equals(u.userId)) {
                Session.Frame f = s.offerFrame(bytes);
                if (f != null) {
                    frames.add(f);
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int written = 0;
        for (Session.Frame f : frames) {
            try {
                if (f.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    written++;
                }
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.warn("An event-stream frame for {} was not written within 5 s", user);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("Wrote {} to {} stream(s) of {}", what, written, user);
        return written;
    }

    private UserState user(String user) {
        UserState u = user == null ? null : users.get(user);
        if (u == null) {
            throw new NoSuchElementException("unknown user " + user);
        }
        return u;
    }

    boolean userExists(String user) {
        return users.containsKey(user);
    }

    /** Replaces the session's license subscription and queues the full snapshot. */
    void subscribeLicenses(Session s, List<String> licenses) {
        UserState u = users.get(s.userId);
        synchronized (u) {
            s.licenseSubscription = List.copyOf(licenses);
            licenseMessages(false, s.licenseSubscription, u).forEach(s::offer);
        }
    }

    void unsubscribeLicenses(Session s) {
        UserState u = users.get(s.userId);
        synchronized (u) {
            s.licenseSubscription = null;
        }
    }

    /**
     * The license message(s) about these licenses: one list-shaped message, or with {@link #flatLicenseMessages()}
     * one flat message per license, each with the same {@code isDelta}.
     */
    private List<String> licenseMessages(boolean isDelta, List<String> names, UserState u) {
        if (flatLicenseMessages) {
            List<String> flat = new ArrayList<>(names.size());
            for (String name : names) {
                ObjectNode m = mapper.createObjectNode();
                m.put("__type", LICENSE_MESSAGE_TYPE);
                m.put("isDelta", isDelta);
                m.put("name", name);
                m.put("isAssigned", u.licenses.getOrDefault(name, false));
                flat.add(m.toString());
            }
            return flat;
        }
        ObjectNode m = mapper.createObjectNode();
        m.put("__type", LICENSE_MESSAGE_TYPE);
        m.put("isDelta", isDelta);
        ArrayNode list = m.putArray("licenseAssignedStatusList");
        for (String name : names) {
            list.addObject().put("name", name).put("isAssigned", u.licenses.getOrDefault(name, false));
        }
        return List.of(m.toString());
    }

    /**
     * Sends license messages in the flat shape of the reference page from now on (same as
     * {@code PUT /simulator/license-message-shape {"shape":"flat"}}):
     * {@code {"__type":…,"isDelta":true,"name":"I3_ACCESS_CLIENT","isAssigned":false}}, one message per license —
     * a subscription's snapshot is one {@code isDelta:false} message per subscribed license, in order — instead of one
     * message with a {@code licenseAssignedStatusList}. False goes back to the list.
     */
    public void setFlatLicenseMessages(boolean flat) {
        this.flatLicenseMessages = flat;
        LOG.info("License messages are now sent in the {} shape", flat ? "flat" : "list");
    }

    /** True when license messages are sent flat, one per license; see {@link #setFlatLicenseMessages}. */
    public boolean flatLicenseMessages() {
        return flatLicenseMessages;
    }

    // ---------------------------------------------------------------- sessions

    /** Creates a session for valid credentials, or returns null. */
    Session login(String userId, String password, String language) {
        UserState u = users.get(userId);
        if (u == null || !java.security.MessageDigest.isEqual(bytes(u.password), bytes(password))) {
            return null;
        }
        String id = HexFormat.of().formatHex(randomBytes(16));
        String csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        String cookie = UUID.randomUUID().toString(); // type-4 UUIDs come from a SecureRandom
        Session s = new Session(id, csrf, cookie, userId, language);
        sessions.put(id, s);
        LOG.info("Session {} opened for {}", id, userId);
        return s;
    }

    /** The live session with that id, or null (ending it first if it timed out). */
    Session liveSession(String id) {
        Session s = sessions.get(id);
        if (s == null || s.ended()) {
            return null;
        }
        if (!s.hasOpenStream() && s.idleNanos() > sessionTimeout.toNanos()) {
            endSession(s, null, "timed out");
            return null;
        }
        return s;
    }

    void endSession(Session s, String finalMessage, String why) {
        sessions.remove(s.id, s);
        if (s.end(finalMessage)) {
            LOG.info("Session {} of {} ended: {}", s.id, s.userId, why);
        }
    }

    private void reapIdleSessions() {
        try {
            for (Session s : sessions.values()) {
                if (!s.hasOpenStream() && s.idleNanos() > sessionTimeout.toNanos()) {
                    endSession(s, null, "timed out");
                }
            }
        } catch (RuntimeException e) {
            LOG.error("Session reaper failed", e);
        }
    }

    /**
     * Ends every session (same as {@code POST /simulator/sessions/expire}): each open stream first receives a
     * {@code connectionStateChangeMessage} (up to down), then closes; later calls answer 401.
     *
     * @return the number of sessions ended
     */
    public int expireSessions() {
        ObjectNode m = mapper.createObjectNode();
        m.put("__type", STATE_CHANGE_TYPE);
        m.put("isDelta", false);
        m.put("previousConnectionState", "up");
        m.put("newConnectionState", "down");
        m.put("reason", "The session was expired by the simulator.");
        m.put("shouldReconnect", true);
        String message = m.toString();
        int n = 0;
        for (Session s : sessions.values()) {
            endSession(s, message, "expired by the simulator");
            n++;
        }
        return n;
    }

    /**
     * An administrator logs the user off (same as {@code POST /simulator/sessions/logoff}): each session of the user
     * (every session when {@code user} is null) ends; its current stream first receives
     * {@code {"__type":"urn:inin.com:connection:connectionStateChangeMessage","isDelta":false,
     * "previousConnectionState":"up","newConnectionState":"down","reason":…,"shouldReconnect":false}} after what was
     * still queued, then closes; later calls (a poll too) answer 401.
     *
     * @param reason the {@code reason}; null: "An administrator logged the user off."
     * @return the number of sessions ended
     * @throws NoSuchElementException for an unknown user
     */
    public int logOffByAdministrator(String user, String reason) {
        if (user != null) {
            user(user);
        }
        ObjectNode m = mapper.createObjectNode();
        m.put("__type", STATE_CHANGE_TYPE);
        m.put("isDelta", false);
        m.put("previousConnectionState", "up");
        m.put("newConnectionState", "down");
        m.put("reason", reason == null ? "An administrator logged the user off." : reason);
        m.put("shouldReconnect", false);
        String message = m.toString();
        int n = 0;
        for (Session s : sessions.values()) {
            if (user == null || s.userId.equals(user)) {
                endSession(s, message, "logged off by an administrator");
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- faults

    /** Adds a fault for the next matching ICWS requests. */
    public void addFault(Fault fault) {
        addFault(fault, null);
    }

    void addFault(Fault fault, String errorId) {
        Objects.requireNonNull(fault, "fault");
        synchronized (faults) {
            faults.add(new ActiveFault(fault, errorId, new AtomicInteger(fault.times())));
        }
    }

    /** Removes every pending fault. */
    public void clearFaults() {
        synchronized (faults) {
            faults.clear();
        }
    }

    /** Takes one use of the first fault matching the path, or returns null. */
    ActiveFault takeFault(String path) {
        synchronized (faults) {
            for (Iterator<ActiveFault> it = faults.iterator(); it.hasNext(); ) {
                ActiveFault f = it.next();
                if (f.fault.matches(path)) {
                    if (f.remaining.decrementAndGet() <= 0) {
                        it.remove();
                    }
                    return f;
                }
            }
            return null;
        }
    }

    record ActiveFault(Fault fault, String errorId, AtomicInteger remaining) {
    }

    // ---------------------------------------------------------------- request log

    /** The ICWS requests answered so far (at most the last 10,000), oldest first. */
    public List<RecordedRequest> requests() {
        synchronized (requestLog) {
            return List.copyOf(requestLog);
        }
    }

    /**
     * The ICWS requests received so far (at most the last 10,000), oldest first, recorded when they arrive: unlike
     * {@link #requests()}, {@code time} is the arrival and a request not answered yet (held by a fault's delay, or
     * an event stream before its headers) is listed too, with {@code status} 0; otherwise {@code status} is the
     * status answered.
     */
    public List<RecordedRequest> receivedRequests() {
        synchronized (requestLog) {
            List<RecordedRequest> list = new ArrayList<>(receivedLog.size());
            for (ReceivedRequest r : receivedLog) {
                list.add(new RecordedRequest(r.method, r.path, r.status, r.time));
            }
            return List.copyOf(list);
        }
    }

    /** Clears the request logs ({@link #requests()} and {@link #receivedRequests()}). */
    public void clearRequests() {
        synchronized (requestLog) {
            requestLog.clear();
            receivedLog.clear();
        }
    }

    ReceivedRequest received(String method, String path) {
        ReceivedRequest r = new ReceivedRequest(method, path, Instant.now());
        synchronized (requestLog) {
            receivedLog.addLast(r);
            while (receivedLog.size() > MAX_REQUEST_LOG) {
                receivedLog.removeFirst();
            }
        }
        return r;
    }

    /** An ICWS request as it arrived; its status is set once answered. */
    static final class ReceivedRequest {
        final String method;
        final String path;
        final Instant time;
        volatile int status;

        ReceivedRequest(String method, String path, Instant time) {
            this.method = method;
            this.path = path;
            this.time = time;
        }

        void answered(int status) {
            this.status = status;
        }
    }

    void record(String method, String path, int status) {
        RecordedRequest r = new RecordedRequest(method, path, status, Instant.now());
        synchronized (requestLog) {
            requestLog.addLast(r);
            while (requestLog.size() > MAX_REQUEST_LOG) {
                requestLog.removeFirst();
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops the server and ends every session and open stream, within about a second. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            for (Session s : sessions.values()) {
                endSession(s, null, "simulator closed");
            }
            if (reaper != null) {
                reaper.shutdownNow();
            }
            synchronized (hangLock) {
                hangLock.notifyAll();
            }
            if (server != null && !gone) {
                server.stop(0);
            }
            if (executor != null) {
                executor.shutdownNow();
                try {
                    if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
                        LOG.warn("Some simulator threads did not stop within 1 s");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            LOG.info("ICWS simulator stopped");
        }
    }

    // ---------------------------------------------------------------- helpers

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    static byte[] bytes(String s) {
        return s == null ? new byte[0] : s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    JsonNode readTree(String json) throws JsonProcessingException {
        return mapper.readTree(json);
    }

    /** Mutable state of one user; guarded by its own monitor. */
    private static final class UserState {
        final String userId;
        final String password;
        final Map<String, Boolean> licenses;

        UserState(SimulatedUser u) {
            this.userId = u.userId();
            this.password = u.password();
            this.licenses = new LinkedHashMap<>(u.licenses());
        }
    }

    /** Builds an {@link IcwsSimulator}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 0;
        private List<SimulatedUser> users = List.of(SimulatedUser.demo());
        private Duration sessionTimeout = Duration.ofSeconds(300);
        private Duration keepAliveInterval = Duration.ofSeconds(5);
        private int messagingVersion = 2;
        private boolean eventStreams = true;
        private boolean tls;
        private boolean flatLicenseMessages;

        private Builder() {
        }

        /** Address to bind; default {@code 127.0.0.1}. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Port to bind; 0 (the default) picks a free port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** Users accepted at log-in; default {@link SimulatedUser#demo()}. */
        public Builder users(List<SimulatedUser> users) {
            this.users = List.copyOf(users);
            return this;
        }

        /** Idle time after which a session is dropped; default 300 s. */
        public Builder sessionTimeout(Duration sessionTimeout) {
            this.sessionTimeout = positive(sessionTimeout, "sessionTimeout");
            return this;
        }

        /** Period of the {@code :} keep-alive comment on event streams; default 5 s. */
        public Builder keepAliveInterval(Duration keepAliveInterval) {
            this.keepAliveInterval = positive(keepAliveInterval, "keepAliveInterval");
            return this;
        }

        /**
         * Version of the {@code messaging} feature reported by {@code GET /icws/connection/features} and the log-in
         * answer; default 2. Below 2 the server offers no server-sent events: a stream request answers
         * {@code 406 error.request.notAcceptable}.
         */
        public Builder messagingVersion(int messagingVersion) {
            if (messagingVersion < 1) {
                throw new IllegalArgumentException("messagingVersion must be at least 1, got " + messagingVersion);
            }
            this.messagingVersion = messagingVersion;
            return this;
        }

        /**
         * Whether stream requests ({@code Accept: text/event-stream}) are served; default true. When false they
         * answer {@code 404 error.request.notFound} whatever the messaging version (like a proxy refusing streams);
         * short polls still work.
         */
        public Builder eventStreams(boolean eventStreams) {
            this.eventStreams = eventStreams;
            return this;
        }

        /**
         * Serve HTTPS with a self-signed certificate (RSA 2048, ~1 year, {@code CN=localhost}) made at
         * {@link IcwsSimulator#start()} by the JDK's {@code keytool} (takes a second or two); default false.
         */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /**
         * Send license messages in the reference page's flat shape, one message per license, instead of one message
         * with a {@code licenseAssignedStatusList}; default false. See {@link IcwsSimulator#setFlatLicenseMessages}.
         */
        public Builder flatLicenseMessages(boolean flat) {
            this.flatLicenseMessages = flat;
            return this;
        }

        public IcwsSimulator build() {
            return new IcwsSimulator(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }
}
