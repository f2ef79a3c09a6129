package io.icws.licenses.icws;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.SafeText;
import io.icws.licenses.support.SerialExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ICWS session of one connection, kept alive: log in, subscribe to license messages, receive them (a
 * server-sent event stream when the server offers messaging version 2, polling otherwise), subscribe again
 * on schedule or when the server says the subscription faulted, log in again when the session is gone, back
 * off from a failing server and move to another one, and at the end unsubscribe and log out.
 *
 * <p>Everything that changes the connection happens on its own lane (a {@link SerialExecutor} on a shared
 * pool), one step at a time, so no two steps race: an answer that arrives after the session it belongs to
 * was dropped is recognised by the session's generation and ignored, and once {@link #close(Instant)} ran,
 * the connection stays closed — a login answer arriving later is logged out at once.
 *
 * <p>The subscription is kept as data (the licenses of the settings): a new session replays it. Failures
 * are sorted as the protocol says: 401 means log in again; 400, 410 and other 4xx cannot be helped by
 * retrying and wait for the next scheduled subscription; 5xx, time-outs and refused connections are retried
 * with capped exponential backoff, moving to the next server; a 503 with an {@code alternateHostList}
 * switches over to the named peers.
 *
 * <p><b>A server that is gone.</b> A logged-in session whose call — the subscription's PUT, a poll, the event
 * stream (refused, broken, its headers or bytes not coming in time) — fails with a refused or broken connection, a
 * time-out or a 5xx (503 included) is tried once more (a blip: subscribe again after the backoff). The next such
 * failure in a row, before any message came through, ends the session: it is dropped (a log-out is tried, not
 * waited for) and the connection logs in through the rotation ({@link Servers}: a 503's {@code alternateHostList}
 * first, then the configured servers in turn), waiting the backoff only between rounds. The new session's first
 * snapshot is compared with the state, so a change made meanwhile is reported once.
 *
 * <p><b>An administrator's logoff</b> ({@code connectionStateChange} down with {@code shouldReconnect: false}) is
 * obeyed: the session is dropped, the reason logged once and shown by the health check, and the connection logs
 * in again only at the next {@code icws.subscribe.cron} firing.
 *
 * <p><b>Keeping the session in use.</b> A session that only listens on its event stream makes no request; the
 * server times out a session it considers unused, and an open stream is not documented to count. So, while
 * receiving by events, the connection sends {@code POST …/messaging/heartbeat} every
 * {@code icws.session.heartbeat-interval}.
 */
public final class IcwsConnection {

    /** Where messages and polls go: the connection's route. */
    public interface Receiver {

        /** The data of one server-sent event (one message, or an array of them), of the given session. */
        void deliver(String messages, long session);

        /** Polling: get the queued messages through the route now; run {@code done} when that is over. */
        void poll(long session, Runnable done);

        /** The connection closes: cut a poll under way rather than wait for its time-out. */
        void cutPolls();
    }

    /** Where the connection stands. */
    public enum State { STARTING, CONNECTING, SUBSCRIBING, SUBSCRIBED, FAILED, CLOSED }

    /** How messages are received. */
    public enum Mode { SSE, POLL }

    /** A snapshot for health checks and the start-up summary. */
    public record Status(State state, URI server, Mode mode, String problem, Instant problemSince) {

        /** Subscribed and receiving, with no failure since. */
        public boolean healthy() {
            return state == State.SUBSCRIBED && problem == null;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(IcwsConnection.class);

    private final ConnectionSettings settings;
    private final IcwsClient client;
    private final ScheduledExecutorService scheduler;
    private final SerialExecutor lane;
    private final Receiver receiver;
    private final Servers servers;
    private final Backoff backoff;
    private final StreamWatchdog watchdogs;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    // owned by the lane
    private State state = State.STARTING;
    private IcwsSession session;
    private long generation;
    private Mode mode;
    private EventStream stream;
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> pollTimer;
    private StreamWatchdog.Watch watchdog;
    private CompletableFuture<?> inFlight;
    private boolean loginInFlight;
    private CompletableFuture<IcwsClient.Login> loginRequest;
    private boolean polling;
    private boolean pollFailed;
    private int sessionsLostInARow;
    /** Calls of this session that failed as a gone server's would, in a row (see the class comment). */
    private int serverFailures;
    private ScheduledFuture<?> heartbeatTimer;
    private CompletableFuture<Void> heartbeatInFlight;
    private boolean heartbeatRefused;
    private Instant deadline;
    private Instant failedAt = Instant.MIN;

    // read from other threads
    private volatile IcwsSession current;
    private volatile long currentGeneration;
    private volatile Status status = new Status(State.STARTING, null, null, "not connected yet", Instant.now());
    private volatile boolean summarizedClose;
    private volatile String closeProblem;
    private volatile boolean hadSessionAtClose;

    /**
     * @param lane the connection's lane, shared with its consumer: every step of the connection (session and
     *             batches alike) runs on it, one at a time
     */
    public IcwsConnection(ConnectionSettings settings, IcwsClient client, ScheduledExecutorService scheduler,
                          SerialExecutor lane, Receiver receiver, java.util.List<URI> servers) {
        this(settings, client, scheduler, new StreamWatchdog(scheduler), lane, receiver, servers);
    }

    /**
     * @param watchdogs the watchdog of the event streams, shared by the connections of a component (one timer for
     *                  all their streams)
     * @param lane      the connection's lane, shared with its consumer
     */
    public IcwsConnection(ConnectionSettings settings, IcwsClient client, ScheduledExecutorService scheduler,
                          StreamWatchdog watchdogs, SerialExecutor lane, Receiver receiver, java.util.List<URI> servers) {
        this.watchdogs = watchdogs;
        this.settings = settings;
        this.client = client;
        this.scheduler = scheduler;
        this.lane = lane;
        this.receiver = receiver;
        this.servers = new Servers(servers);
        this.backoff = new Backoff(settings.retryInitialDelay(), settings.retryMaxDelay());
    }

    // ---------------------------------------------------------------------------------- what others call

    /** Logs in after the delay (spread out when many connections start together). */
    public void start(Duration delay) {
        onLane(() -> later(delay, this::connect));
    }

    /**
     * Closes the connection: stops receiving at once (the stream closed, a poll under way cut), then
     * unsubscribes and logs out, all by the deadline. The future completes when that is done or given up.
     */
    public CompletableFuture<Void> close(Instant deadline) {
        return close(deadline, false);
    }

    /**
     * As {@link #close(Instant)}; with {@code summarized}, a session that could not be logged out by the deadline is
     * logged at DEBUG only and told by {@link #closeProblem()}, for the one summary line of a shutdown of many
     * connections (the component's), instead of one WARN line per session.
     */
    public CompletableFuture<Void> close(Instant deadline, boolean summarized) {
        if (summarized) {
            summarizedClose = true; // a later close (the consumer's stop) does not undo it
        }
        // a poll under way holds the lane until it ends: cut it now, not when the close gets its turn
        receiver.cutPolls();
        onLane(() -> doClose(deadline));
        return closed;
    }

    /**
     * After a close: why its session could not be logged out cleanly by the deadline (or its log-in was given up),
     * or null when it was, or when there was no session to log out.
     */
    public String closeProblem() {
        return closeProblem;
    }

    /** After a close: whether there was a session (or a log-in under way) to log out. */
    public boolean hadSessionAtClose() {
        return hadSessionAtClose;
    }

    /** The scheduled re-subscription ({@code icws.subscribe.cron}), or a retry after a permanent failure. */
    public void resubscribe() {
        onLane(this::onSchedule);
    }

    /**
     * A {@code connectionStateChangeMessage} of the given session. Down means the session is over: log in again at
     * once, unless the server said {@code shouldReconnect: false} (an administrator logged the session off): then
     * only at the next {@code icws.subscribe.cron} firing. Called by the route on the lane, it takes effect at once
     * (before the stream's end, which follows the message, is looked at).
     */
    public void connectionStateChanged(long session, String newState, String reason, boolean shouldReconnect) {
        lane.runOrExecute(() -> {
            if (session == generation && "down".equalsIgnoreCase(newState) && this.session != null) {
                String why = SafeText.line(reason, 300);
                if (shouldReconnect) {
                    LOG.warn("ICWS reports the session is down ({}); logging in again", why);
                    sessionGone("the server closed the session: " + why);
                } else {
                    loggedOffByAdministrator(why);
                }
            }
        });
    }

    /** A {@code subscriptionStateMessage} reporting a fault, of the given session. */
    public void subscriptionFaulted(long session, String error) {
        onLane(() -> {
            if (session == generation && state == State.SUBSCRIBED) {
                String why = SafeText.line(error, 300);
                LOG.warn("ICWS reports the license subscription faulted ({}); subscribing again", why);
                problem("subscription faulted: " + why);
                subscribe();
            }
        });
    }

    /**
     * Receiving failed for the given session: a poll failed, or its messages could not be made durable (the
     * route's error handling calls this). Subscribes again after the backoff; a 401 logs in again.
     */
    public void receivingFailed(long session, Exception failure) {
        onLane(() -> {
            if (session != generation || state == State.CLOSED) {
                return;
            }
            pollFailed = true;
            Throwable cause = unwrap(failure);
            if (cause instanceof IcwsRequestException e && e.kind() == IcwsRequestException.Kind.SESSION_EXPIRED) {
                LOG.warn("{}: the session is gone, logging in again", e.getMessage());
                sessionGone(e.getMessage());
            } else if (serverTrouble(cause)) {
                String problem = describe(cause);
                serverFailed(problem, cause, () -> retryReceiving(problem));
            } else {
                retryReceiving(describe(cause));
            }
        });
    }

    /**
     * A batch of the given session was handled and committed: messages come through end to end, so whatever
     * failed before works again (the backoff starts afresh). Called on the lane, by the batch's completion: it
     * takes effect at once, before anything the lane runs next (a stream that ended meanwhile is not "up").
     */
    public void batchHandled(long session) {
        lane.runOrExecute(() -> {
            if (session == generation && state == State.SUBSCRIBED && mode == Mode.SSE && stream != null) {
                received();
            }
        });
    }

    /** The session polls and the route use now, or null. */
    public IcwsSession session() {
        return current;
    }

    /** The generation of the current session: messages carry it, so a stale one is recognised. */
    public long generation() {
        return currentGeneration;
    }

    public Status status() {
        return status;
    }

    public ConnectionSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------------------------- logging in

    private void connect() {
        if (state == State.CLOSED || session != null || loginInFlight) {
            return;
        }
        loginInFlight = true;
        state = State.CONNECTING;
        URI server = servers.current();
        SessionEvents.of(receiver).connecting(server);
        publish(server);
        // the client's future: cancelling it (at the shutdown deadline) aborts the request itself
        CompletableFuture<IcwsClient.Login> request = client.login(server);
        loginRequest = request;
        request.whenComplete((login, failure) -> onLane(() -> onLogin(server, login, failure)));
    }

    private void onLogin(URI server, IcwsClient.Login login, Throwable failure) {
        loginInFlight = false;
        if (state == State.CLOSED) {
            if (login != null) {
                // the answer came after the close: this session must not stay open on the server
                logOut(login.session(), "logged in while stopping");
            } else {
                closed.complete(null);
            }
            return;
        }
        if (failure != null) {
            loginFailed(server, unwrap(failure));
            return;
        }
        session = login.session();
        generation++;
        current = session;
        currentGeneration = generation;
        serverFailures = 0;
        heartbeatRefused = false;
        servers.learn(server, login.alternateHosts());
        SessionEvents.of(receiver).loggedIn(server);
        LOG.info("Logged in to ICWS {} as {} (session {})", server, settings.user(), session.sessionId());
        startHeartbeat();
        chooseModeThenSubscribe();
    }

    private void loginFailed(URI server, Throwable failure) {
        String problem = describe(failure);
        problem(problem);
        if (failure instanceof IcwsRequestException e) {
            switch (e.kind()) {
                case PERMANENT -> {
                    if (e.status() >= 200 && e.status() <= 299) {
                        // a 201 whose session cannot be used (a hostile sessionId or CSRF token, no cookie, not
                        // JSON): this server is bad, not the request; the next one may do
                        rotate(server, problem + "; this server's answer cannot be used");
                        return;
                    }
                    waitForSchedule(problem, true);
                    return;
                }
                case SWITCHOVER -> {
                    servers.learn(server, e.alternateHosts());
                    boolean round = servers.next();
                    Duration wait = round ? backoff.next() : Duration.ZERO;
                    LOG.warn("{}: switching over from {} to {}{}", problem, server, servers.current(),
                            wait.isZero() ? "" : " in " + wait.toMillis() + " ms");
                    state = State.STARTING;
                    later(wait, this::connect);
                    return;
                }
                default -> {
                    // transient: below
                }
            }
        }
        rotate(server, problem);
    }

    /** The login at {@code server} failed: the next server, at once, or after the backoff when a round is over. */
    private void rotate(URI server, String problem) {
        boolean round = servers.next();
        Duration wait = round ? backoff.next() : Duration.ZERO;
        state = State.STARTING;
        LOG.warn("{}; logging in to {}{}", problem, servers.current(),
                wait.isZero() ? " now" : " in " + wait.toMillis() + " ms");
        later(wait, this::connect);
    }

    /** 400, 410 and the like: retrying cannot help until someone changes something; the schedule retries. */
    private void waitForSchedule(String problem, boolean error) {
        cancel(timer);
        state = State.FAILED;
        failedAt = Instant.now();
        publish(servers.current());
        if (error) {
            LOG.error("{}. Retrying cannot help; trying again at the next scheduled subscription (icws.subscribe.cron)",
                    problem);
        } else {
            LOG.warn("{}. Logging in again at the next scheduled subscription (icws.subscribe.cron)", problem);
        }
    }

    /** {@code shouldReconnect: false}: the session is over, and logging in again at once would defy the server. */
    private void loggedOffByAdministrator(String why) {
        dropSession();
        problem("ICWS ended the session and asked not to reconnect (shouldReconnect: false): " + why);
        waitForSchedule(status.problem(), false);
    }

    private void onSchedule() {
        switch (state) {
            case FAILED -> {
                if (Duration.between(failedAt, Instant.now()).compareTo(settings.retryInitialDelay()) < 0) {
                    return; // a firing just after the failure (the scheduler starting late) is not a retry
                }
                LOG.info("Scheduled retry after a failure that retrying could not help: {}", status.problem());
                if (session == null) {
                    state = State.STARTING;
                    connect();
                } else {
                    subscribe();
                }
            }
            case SUBSCRIBED -> subscribe();
            default -> {
                // logging in or subscribing already
            }
        }
    }

    // ---------------------------------------------------------------------------------- subscribing

    private void chooseModeThenSubscribe() {
        if (mode != null) {
            subscribe();
            return;
        }
        switch (settings.receive()) {
            case POLL -> decide(Mode.POLL);
            case SSE -> decide(Mode.SSE);
            case AUTO -> {
                if (session.messagingVersion() > 0) {
                    decide(session.messagingVersion() >= 2 ? Mode.SSE : Mode.POLL);
                } else {
                    long g = generation;
                    URI server = session.server();
                    client.messagingVersion(server).whenComplete((version, failure) -> onLane(() -> {
                        if (g == generation && state != State.CLOSED) {
                            decide(version != null && version >= 2 ? Mode.SSE : Mode.POLL);
                        }
                    }));
                }
            }
        }
    }

    private void decide(Mode chosen) {
        mode = chosen;
        publish(session.server());
        LOG.info("Receiving license messages by {}", chosen == Mode.SSE ? "server-sent events"
                : "polling every " + settings.pollInterval().toMillis() + " ms");
        subscribe();
    }

    private void subscribe() {
        if (session == null || state == State.CLOSED || inFlight != null) {
            return;
        }
        if (state != State.SUBSCRIBED) {
            state = State.SUBSCRIBING;
        }
        long g = generation;
        // the client's future itself: cancelling it at the close aborts the request
        CompletableFuture<Void> request = client.subscribe(session);
        inFlight = request;
        request.whenComplete((ok, failure) -> onLane(() -> onSubscribed(g, request, failure)));
    }

    private void onSubscribed(long g, CompletableFuture<Void> request, Throwable failure) {
        if (inFlight == request) {
            inFlight = null; // (a cancelled one's answer must not clear the next session's request)
        }
        if (g != generation || state == State.CLOSED) {
            return;
        }
        if (failure == null) {
            if (state != State.SUBSCRIBED) {
                LOG.info("Subscribed to license messages for {}", settings.licenses());
            }
            state = State.SUBSCRIBED;
            receive();
            return;
        }
        Throwable cause = unwrap(failure);
        String problem = describe(cause);
        problem(problem);
        if (cause instanceof IcwsRequestException e) {
            if (e.kind() == IcwsRequestException.Kind.SESSION_EXPIRED) {
                LOG.warn("{}: the session is gone, logging in again", problem);
                sessionGone(problem);
                return;
            }
            if (e.kind() == IcwsRequestException.Kind.PERMANENT) {
                closeStream();
                waitForSchedule(problem, true);
                return;
            }
        }
        Runnable again = () -> {
            Duration wait = backoff.next();
            LOG.warn("{}; subscribing again in {} ms", problem, wait.toMillis());
            later(wait, this::subscribe);
        };
        if (serverTrouble(cause)) {
            serverFailed(problem, cause, again);
        } else {
            again.run();
        }
    }

    // ---------------------------------------------------------------------------------- receiving

    private void receive() {
        if (mode == Mode.SSE) {
            if (stream == null) {
                openStream();
            }
        } else if (!polling && pollTimer == null) {
            pollTimer = scheduler.schedule(() -> onLane(this::pollTick), 0, TimeUnit.MILLISECONDS);
        }
    }

    private void openStream() {
        long g = generation;
        EventStream[] opened = new EventStream[1];
        opened[0] = client.openStream(session, new EventStream.Listener() {
            @Override
            public void onOpen() {
                onLane(() -> {
                    if (g == generation && stream == opened[0]) {
                        serverFailures = 0; // the server answers
                        status = new Status(state, session.server(), mode, null, null);
                    }
                });
            }

            @Override
            public void onEvent(String data) {
                receiver.deliver(data, g);
            }

            @Override
            public void onEnd(Throwable failure) {
                onLane(() -> onStreamEnd(g, opened[0], failure));
            }
        });
        stream = opened[0];
        startWatchdog();
    }

    private void onStreamEnd(long g, EventStream ended, Throwable failure) {
        if (g != generation || ended != stream || state == State.CLOSED) {
            return;
        }
        stream = null;
        stopWatchdog();
        Throwable cause = failure == null ? null : unwrap(failure);
        if (cause instanceof IcwsRequestException e) {
            if (e.kind() == IcwsRequestException.Kind.SESSION_EXPIRED) {
                LOG.warn("{}: the session is gone, logging in again", e.getMessage());
                sessionGone(e.getMessage());
                return;
            }
            if (e.status() == 404 || e.status() == 406) {
                LOG.warn("{}: this server does not offer server-sent events; polling every {} ms from now on",
                        e.getMessage(), settings.pollInterval().toMillis());
                mode = Mode.POLL;
                publish(session.server());
                receive();
                return;
            }
        }
        if (cause == null) {
            retryReceiving("the server ended the event stream");
        } else if (serverTrouble(cause)) {
            String problem = describe(cause);
            serverFailed(problem, cause, () -> retryReceiving(problem));
        } else {
            retryReceiving(describe(cause)); // e.g. an event over icws.sse.max-event-size: a broken stream
        }
    }

    // ---------------------------------------------------------------------------------- a server gone

    /**
     * What a server that is gone or hung does to a call: the connection refused or broken, no answer (or no byte
     * of the stream) in time, a 5xx. Not a 4xx (the server answers), nor a stream the server ended in order, nor an
     * event over the limit (a broken stream, not a gone server), nor a failure of our own (the outbox).
     */
    static boolean serverTrouble(Throwable failure) {
        Throwable t = failure;
        while (t instanceof org.apache.camel.RuntimeCamelException && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof IcwsRequestException e) {
            return e.status() >= 500;
        }
        return t instanceof IOException || t instanceof java.util.concurrent.TimeoutException;
    }

    /**
     * A call of the logged-in session failed as a gone server's would. The first time, {@code blip} tries again on
     * the same session; the next time in a row (no message came through in between), the session is dropped and
     * the connection logs in through the rotation: a 503's alternate hosts first, then the configured servers.
     */
    private void serverFailed(String problem, Throwable cause, Runnable blip) {
        IcwsSession lost = session;
        if (cause instanceof IcwsRequestException e && !e.alternateHosts().isEmpty()) {
            servers.learn(lost.server(), e.alternateHosts()); // a switchover: its peers are tried first
        }
        if (++serverFailures < 2) {
            blip.run();
            return;
        }
        problem(problem);
        dropSession();
        abandon(lost);
        boolean round = servers.next();
        Duration wait = round ? backoff.next() : Duration.ZERO;
        publish(servers.current());
        LOG.warn("{}: the second failure in a row, ICWS {} counts as gone; its session is dropped, logging in to {}{}",
                problem, lost.server(), servers.current(), wait.isZero() ? " now" : " in " + wait.toMillis() + " ms");
        later(wait, this::connect);
    }

    /**
     * A dropped session's log-out, tried once and not waited for: a server that is only slow should not keep the
     * session (a CIC session may hold licenses); one that is gone costs a request bounded by the connect time-out.
     */
    private void abandon(IcwsSession lost) {
        Duration bound = settings.connectTimeout().compareTo(settings.responseTimeout()) < 0
                ? settings.connectTimeout() : settings.responseTimeout();
        client.logout(lost, bound).whenComplete((ok, failure) -> {
            if (failure != null) {
                LOG.debug("Log-out of the dropped session {} on ICWS {} failed: {}", lost.sessionId(), lost.server(),
                        Failures.describe(unwrap(failure)));
            }
        });
    }

    // ---------------------------------------------------------------------------------- keeping the session in use

    /** While receiving by events, a heartbeat every {@code icws.session.heartbeat-interval} (polling is use). */
    private void startHeartbeat() {
        stopHeartbeat();
        long every = settings.heartbeatInterval().toMillis();
        if (every <= 0) {
            return;
        }
        long g = generation;
        heartbeatTimer = scheduler.scheduleAtFixedRate(() -> onLane(() -> heartbeat(g)), every, every,
                TimeUnit.MILLISECONDS);
    }

    private void heartbeat(long g) {
        if (g != generation || session == null || state != State.SUBSCRIBED || mode != Mode.SSE
                || heartbeatInFlight != null || heartbeatRefused) {
            return;
        }
        CompletableFuture<Void> request = client.heartbeat(session);
        heartbeatInFlight = request;
        request.whenComplete((ok, failure) -> onLane(() -> heartbeatDone(g, request, failure)));
    }

    private void heartbeatDone(long g, CompletableFuture<Void> request, Throwable failure) {
        if (heartbeatInFlight == request) {
            heartbeatInFlight = null;
        }
        if (failure == null || g != generation || state == State.CLOSED) {
            return;
        }
        Throwable cause = unwrap(failure);
        if (cause instanceof IcwsRequestException e) {
            if (e.kind() == IcwsRequestException.Kind.SESSION_EXPIRED) {
                LOG.warn("{}: the session is gone, logging in again", e.getMessage());
                sessionGone(e.getMessage());
                return;
            }
            if (e.status() == 404 || e.status() == 405 || e.status() == 410) {
                heartbeatRefused = true; // this server has none: the stream alone must do
                LOG.warn("{}: this server takes no heartbeat; none is sent on this session", e.getMessage());
                return;
            }
        }
        // a gone server shows on the stream too (it breaks, or the watchdog finds it silent): that decides
        LOG.debug("Heartbeat failed: {}", describe(cause));
    }

    private void stopHeartbeat() {
        cancel(heartbeatTimer);
        heartbeatTimer = null;
        if (heartbeatInFlight != null) {
            heartbeatInFlight.cancel(true);
            heartbeatInFlight = null;
        }
    }

    /**
     * Receiving failed (a poll, or the stream ended or broke): messages the server dequeued may never have
     * arrived, so subscribe again — the new snapshot, compared with the state, recovers any change — and
     * receive again, after the backoff.
     */
    private void retryReceiving(String problem) {
        problem(problem);
        closeStream();
        cancel(pollTimer);
        pollTimer = null;
        Duration wait = backoff.next();
        LOG.warn("{}; subscribing again and receiving in {} ms", problem, wait.toMillis());
        later(wait, this::subscribe);
    }

    /**
     * The stream is watched by the component's one watchdog, which reads the time of its last byte: a keep-alive
     * costs the stream a time stamp and nothing here. Silent for {@code icws.sse.idle-timeout}, it is replaced.
     */
    private void startWatchdog() {
        stopWatchdog();
        EventStream watched = stream;
        watchdog = watchdogs.watch(watched, settings.sseIdleTimeout(), () -> onLane(() -> silent(watched)));
    }

    private void silent(EventStream s) {
        if (s != stream || state == State.CLOSED) {
            return; // replaced or closed meanwhile
        }
        watchdog = null;
        if (s.idleNanos() <= settings.sseIdleTimeout().toNanos()) {
            startWatchdog(); // a byte came just after the check
            return;
        }
        s.close();
        stream = null;
        String problem = "no byte from the event stream of ICWS " + session.server() + " for "
                + settings.sseIdleTimeout().toMillis() + " ms (icws.sse.idle-timeout)";
        // silence is a time-out: a hung server's sign as much as a refused connection is a gone one's
        serverFailed(problem, new java.net.http.HttpTimeoutException(problem), () -> retryReceiving(problem));
    }

    private void stopWatchdog() {
        if (watchdog != null) {
            watchdog.cancel();
            watchdog = null;
        }
    }

    private void pollTick() {
        pollTimer = null;
        if (state != State.SUBSCRIBED || mode != Mode.POLL || polling) {
            return;
        }
        polling = true;
        pollFailed = false;
        long g = generation;
        receiver.poll(g, () -> onLane(() -> pollDone(g)));
    }

    private void pollDone(long g) {
        polling = false;
        if (g != generation || state != State.SUBSCRIBED || pollFailed) {
            return;
        }
        received();
        pollTimer = scheduler.schedule(() -> onLane(this::pollTick), settings.pollInterval().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Messages come through: whatever failed before works again. */
    private void received() {
        if (backoff.active() || status.problem() != null) {
            if (backoff.active()) {
                LOG.info("ICWS {} answers again; receiving license messages", session.server());
            }
            backoff.reset();
        }
        sessionsLostInARow = 0;
        serverFailures = 0;
        status = new Status(state, session.server(), mode, null, null);
    }

    // ---------------------------------------------------------------------------------- losing the session

    /** The session is over (401, or the server said so): log in again, soon. */
    private void sessionGone(String problem) {
        dropSession();
        problem(problem);
        Duration wait = sessionsLostInARow++ == 0 ? Duration.ZERO : backoff.next();
        later(wait, this::connect);
    }

    private void dropSession() {
        closeStream();
        stopHeartbeat();
        cancel(pollTimer);
        pollTimer = null;
        if (inFlight != null) {
            inFlight.cancel(true); // a subscription under way belongs to the session that ends
            inFlight = null;
        }
        serverFailures = 0;
        session = null;
        current = null;
        generation++;
        currentGeneration = generation;
        if (state != State.CLOSED) {
            state = State.STARTING;
        }
    }

    private void closeStream() {
        stopWatchdog();
        if (stream != null) {
            stream.close();
            stream = null;
        }
    }

    // ---------------------------------------------------------------------------------- closing

    private void doClose(Instant by) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        deadline = by;
        cancel(timer);
        cancel(pollTimer);
        closeStream();
        stopHeartbeat();
        receiver.cutPolls();
        if (inFlight != null) {
            inFlight.cancel(true);
            inFlight = null;
        }
        IcwsSession open = session;
        session = null;
        current = null;
        generation++;
        currentGeneration = generation;
        status = new Status(State.CLOSED, status.server(), mode, "stopped", Instant.now());
        hadSessionAtClose = open != null || loginInFlight;
        if (open != null) {
            logOut(open, "stopping");
        } else if (!loginInFlight) {
            closed.complete(null);
        } else {
            // the login's answer will be logged out when it comes; by the deadline at the latest it is given up
            CompletableFuture<IcwsClient.Login> request = loginRequest;
            scheduler.schedule(() -> {
                if (request.cancel(true)) {
                    closeProblem = "a log-in to ICWS " + status.server() + " got no answer by the deadline; given up";
                    String line = "A log-in to ICWS {} as {} got no answer by the shutdown deadline (icws.shutdown.timeout); "
                            + "given up. If the server still makes that session, it ends when the server times it out";
                    if (summarizedClose) {
                        LOG.debug(line, status.server(), settings.user());
                    } else {
                        LOG.warn(line, status.server(), settings.user());
                    }
                }
            }, Math.max(0, Duration.between(Instant.now(), by).toMillis()), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * DELETE the subscription, then DELETE the connection even if the first failed; both by the deadline. The
     * first gets at most half the time left, so a slow answer to it cannot keep the log-out from being sent.
     */
    private void logOut(IcwsSession open, String why) {
        Instant by = deadline == null ? Instant.now().plusSeconds(5) : deadline;
        client.unsubscribe(open, Duration.between(Instant.now(), by).dividedBy(2))
                .handle((ok, failure) -> failure == null ? null : describeLogOut(unwrap(failure)))
                .thenCompose(unsubscribeProblem -> client.logout(open, Duration.between(Instant.now(), by))
                        .handle((ok, failure) -> {
                            if (failure == null && unsubscribeProblem == null) {
                                LOG.info("Unsubscribed and logged out of ICWS {} (session {}, {})", open.server(),
                                        open.sessionId(), why);
                            } else {
                                String problem = unsubscribeProblem != null ? unsubscribeProblem
                                        : describeLogOut(unwrap(failure));
                                closeProblem = problem;
                                if (summarizedClose && deadline != null) {
                                    LOG.debug("Could not log out of ICWS {} cleanly (session {}: {}); stopping anyway",
                                            open.server(), open.sessionId(), problem);
                                } else {
                                    LOG.warn("Could not log out of ICWS {} cleanly ({}); stopping anyway", open.server(),
                                            problem);
                                }
                            }
                            return null;
                        }))
                .whenComplete((ok, failure) -> closed.complete(null));
    }

    private String describeLogOut(Throwable failure) {
        if (failure instanceof java.net.http.HttpTimeoutException && deadline != null) {
            return "ICWS " + servers.current() + " did not answer within icws.shutdown.timeout";
        }
        return describe(failure);
    }

    // ---------------------------------------------------------------------------------- helpers

    private void later(Duration wait, Runnable step) {
        cancel(timer);
        timer = scheduler.schedule(() -> onLane(() -> {
            if (state != State.CLOSED) {
                step.run();
            }
        }), Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
    }

    /**
     * Runs the step on the lane. A lane that no longer runs tasks (its pool was shut down: the context is stopping)
     * cannot run this connection any more: {@link #laneStopped()} runs instead, so a close waiting for it returns.
     */
    private void onLane(Runnable step) {
        try {
            lane.execute(() -> guarded(step), this::laneStopped);
        } catch (RejectedExecutionException e) {
            // laneStopped has run
        }
    }

    /**
     * A step that fails unexpectedly must not leave the connection stuck where it was, silently (not logged in, not
     * subscribed, no timer to go on): it says so, shows the failure in its status (health DOWN with the reason), and
     * goes on after the backoff — logging in when it has no session, subscribing when it has one.
     */
    private void guarded(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (state == State.CLOSED) {
                throw e; // the lane logs it; nothing to go on with
            }
            String problem = "unexpected failure: " + Failures.describe(e);
            problem(problem);
            Duration wait = backoff.next();
            LOG.error("Connection {}: {}; going on in {} ms", settings.id(), problem, wait.toMillis(), e);
            later(wait, this::recover);
        }
    }

    private void recover() {
        if (session == null) {
            if (!loginInFlight) {
                state = State.STARTING;
                connect();
            }
        } else if (inFlight == null) {
            subscribe();
        }
    }

    private void laneStopped() {
        if (!closed.isDone()) {
            LOG.debug("The lane of connection {} no longer runs tasks; closed without logging out", settings.id());
            closed.complete(null);
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    private void problem(String problem) {
        Status s = status;
        status = new Status(state, session != null ? session.server() : servers.current(), mode, problem,
                s.problemSince() != null && s.problem() != null ? s.problemSince() : Instant.now());
    }

    private void publish(URI server) {
        Status s = status;
        status = new Status(state, server, mode, s.problem(), s.problemSince());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private String describe(Throwable failure) {
        if (failure instanceof IcwsRequestException) {
            return failure.getMessage();
        }
        Throwable t = failure;
        while (t != null) {
            if (t instanceof javax.net.ssl.SSLException) {
                // the TLS stack's words may quote what the server sent: one line, bounded
                return "TLS handshake with " + servers.current() + " failed: " + SafeText.line(t.getMessage(), 300)
                        + " (is the server's certificate, or its CA, in icws.tls.trust-store?)";
            }
            t = t.getCause() == t ? null : t.getCause();
        }
        if (failure instanceof EventStreamParser.EventTooLargeException) {
            return "broken event stream from ICWS " + (session != null ? session.server() : servers.current()) + ": "
                    + failure.getMessage();
        }
        if (failure instanceof java.net.http.HttpConnectTimeoutException) {
            return "ICWS " + servers.current() + " did not accept the connection within icws.http.connect-timeout ("
                    + settings.connectTimeout().toMillis() + " ms)";
        }
        if (failure instanceof java.net.http.HttpTimeoutException) {
            return "ICWS " + servers.current() + " did not answer within icws.http.response-timeout ("
                    + settings.responseTimeout().toMillis() + " ms)";
        }
        return "ICWS request to " + (session != null ? session.server() : servers.current()) + " failed: "
                + Failures.describe(failure);
    }

    @Override
    public String toString() {
        return "IcwsConnection[" + settings.id() + ", " + settings.describe() + "]";
    }
}
