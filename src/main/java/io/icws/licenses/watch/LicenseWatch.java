package io.icws.licenses.watch;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.config.Secrets;
import io.icws.licenses.config.SettingsReader;
import io.icws.licenses.icws.IcwsCall;
import io.icws.licenses.icws.IcwsClient;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.icws.IcwsMessages;
import io.icws.licenses.icws.IcwsRequestException;
import io.icws.licenses.icws.IcwsSession;
import io.icws.licenses.icws.LicenseMessage;
import io.icws.licenses.icws.MalformedMessageException;
import io.icws.licenses.outbox.DeadLetters;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.OutboxComponent;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.state.LicenseTracker;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.PausePoint;
import io.icws.licenses.support.SafeText;
import io.icws.licenses.support.SerialExecutor;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's watch: the bean each instance of the route template {@code icws-license-watch} owns (no
 * singleton per connection). It reads the connection's settings, keeps its {@link IcwsConnection} (the
 * session), its {@link LicenseTracker} (the state) and its counters, and gives the route its steps: get the
 * queued messages with camel-http when polling, turn a license message into change events, follow what the
 * server says about the session, and commit a batch (outbox synced, then the state file saved off the lane).
 *
 * <p>It is also the camel-http client configurer of the connection's polls: its own connection pool (closed at
 * once at shutdown, which cuts a poll under way), its TLS set-up and time-outs, and no cookie handling — the
 * session cookie is sent by hand.
 */
public class LicenseWatch implements HttpClientConfigurer {

    /** Header of a polling tick: the route GETs the queued messages. */
    public static final String POLL_HEADER = "IcwsPoll";

    private static final Logger LOG = LoggerFactory.getLogger(LicenseWatch.class);
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");

    private final String id;
    private final IcwsMessages messages = new IcwsMessages();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder changes = new LongAdder();
    private final Map<String, LongAdder> ignored = new ConcurrentHashMap<>();
    private final io.icws.licenses.observe.ConnectionStats stats = new io.icws.licenses.observe.ConnectionStats();

    private volatile ConnectionSettings settings;
    private volatile IcwsConnection connection;
    private volatile LicenseTracker tracker;
    private Outbox outbox;
    private DeadLetters deadLetters;
    private SSLContext ssl;
    private List<URI> servers;
    private volatile PollConnections pollConnections;
    private Consumer schedule;
    private ConnectionHealthCheck health;
    private volatile String stateProblem;
    private volatile String storeProblem;
    private SerialExecutor lane;
    private String serverIdentity;
    private boolean outboxOpened;
    private ScheduledExecutorService scheduler;
    private StateCheckpoints checkpoints;
    private java.util.concurrent.Executor receivePool;
    private final CheckpointOwner checkpointOwner = new CheckpointOwner();
    private volatile boolean firstSnapshotLogged;
    /** A batch failed: deltas wait for the snapshot that repairs the state (on the lane only). */
    private boolean awaitingSnapshot;

    /** @param id the connection id, {@code [a-z0-9][a-z0-9-]*} */
    public LicenseWatch(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("'" + id + "' is not a connection id: lower-case letters, digits and "
                    + "'-', starting with a letter or digit");
        }
        this.id = id;
    }

    public String id() {
        return id;
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /**
     * Reads and checks the connection's settings and loads its state; done once, when the route's endpoint is
     * made, so that a setting that cannot work stops the route before anything is contacted.
     */
    synchronized void prepare(CamelContext context) {
        if (settings != null) {
            return;
        }
        SettingsReader top = new SettingsReader(context.getPropertiesComponent()::resolveProperty);
        ConnectionSettings s = ConnectionSettings.read(id, top, new Secrets(context));
        SettingsReader reader = ConnectionSettings.DEFAULT_ID.equals(id) ? top : top.forConnection(id);
        servers = s.embedded() ? List.of(embeddedServer(context)) : s.servers();
        ssl = IcwsComponent.sslContext(s, reader);
        outbox = CamelContextHelper.mandatoryLookup(context, OutboxComponent.OUTBOX_BEAN, Outbox.class);
        deadLetters = CamelContextHelper.mandatoryLookup(context, OutboxComponent.DEAD_LETTERS_BEAN, DeadLetters.class);
        serverIdentity = s.embedded() ? ConnectionSettings.EMBEDDED : servers.get(0).getAuthority();
        settings = s;
        tracker = loadTracker();
    }

    /** The state as the state file has it (read only: a standby, or the start-up summary, writes nothing). */
    private LicenseTracker loadTracker() {
        // a store that keeps the states itself (the database) has no state file: the replicas share its state
        return new LicenseTracker(id, serverIdentity, settings.user(),
                outbox.keepsStates() ? null : settings.stateDirectory(), Clock.systemUTC());
    }

    /**
     * Starts the session (the consumer starts).
     *
     * @param lane where the route's work for this connection runs, one step at a time
     */
    void start(IcwsConnection.Receiver receiver, IcwsComponent component, SerialExecutor lane) throws Exception {
        this.lane = lane;
        this.scheduler = component.scheduler();
        this.checkpoints = component.checkpoints();
        this.receivePool = component.receivePool();
        CamelContext context = component.getCamelContext();
        prepare(context);
        outbox.start(); // the first user opens it
        outboxOpened = true;
        boolean claimed = claim();
        ConnectionSettings s = settings;
        if (s.tls().insecure()) {
            LOG.warn("Connection {}: icws.tls.insecure=true: ICWS server certificates and host names are NOT checked. "
                    + "Anyone between here and the server can read the password. Use icws.tls.trust-store instead.", id);
        }
        receiver = stats.start(this, context, receiver); // meters, dev console, status page: they read this watch
        connection = new IcwsConnection(s, new IcwsClient(component.httpClient(s, ssl), s, s.maxEventBytes()),
                component.scheduler(), component.streamWatchdog(), lane, receiver, servers);
        health = new ConnectionHealthCheck(this);
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry != null && !registry.register(health)) {
            LOG.warn("Connection {}: health check {} not registered: another check has that name", id, health.getId());
        }
        component.register(this);
        PollConnections polls = pollConnections;
        if (polls != null) {
            polls.reopen(); // started again (after a stop, which cut its polls)
        }
        if (claimed) {
            connection.start(component.firstLoginDelay());
        } else {
            claimAgain(1);
        }
        // after the login is under way: camel-quartz's first set-up takes 0.1–0.3 s of a cold start
        try {
            schedule = scheduleResubscription(context, s, component);
        } catch (Exception | Error e) {
            connection.close(component.deadline()); // the consumer does not start: neither does its session
            throw e;
        }
    }

    /**
     * This process owns the connection now: the store is told (the database store reads its state and queues what
     * its targets have not taken; the file store owns everything already), and the committed state is loaded — the
     * newer of the state file (a checkpoint) and the outbox's newest record, read now: another process may have
     * committed since this one last ran the connection.
     *
     * @return false when the store cannot be read now (the session waits for it: starting from no state would
     *         report every license as new and overwrite the committed state)
     */
    private boolean claim() {
        try {
            outbox.claim(id);
        } catch (IOException | RuntimeException e) {
            if (storeProblem == null) {
                LOG.error("Connection {}: its committed state cannot be read from {} ({}); it logs in once the store "
                        + "answers", id, outbox.where(), Failures.describe(e));
            }
            storeProblem = "the store " + outbox.where() + " cannot be read: " + Failures.describe(e);
            return false;
        }
        if (storeProblem != null) {
            LOG.info("Connection {}: the store {} answers again; logging in", id, outbox.where());
            storeProblem = null;
        }
        tracker = loadTracker();
        Outbox.CommittedState recorded = outbox.lastState(id);
        if (recorded != null) {
            tracker.startFrom(recorded.state(), recorded.sequence());
        }
        outbox.reserveAbove(tracker.committedRecord());
        return true;
    }

    /** Tries the store again after the retry delay (doubled each time, up to the maximum), then starts the session. */
    private void claimAgain(int attempt) {
        long wait = Math.min(settings.retryMaxDelay().toMillis(),
                settings.retryInitialDelay().toMillis() << Math.min(attempt - 1, 10));
        scheduler.schedule(() -> lane.execute(() -> {
            if (!outboxOpened) {
                return; // stopped meanwhile
            }
            if (claim()) {
                connection.start(java.time.Duration.ZERO);
            } else {
                claimAgain(attempt + 1);
            }
        }), wait, TimeUnit.MILLISECONDS);
    }

    /** Why the connection's committed state cannot be read now, or null. */
    public String storeProblem() {
        return storeProblem;
    }

    /**
     * The scheduled re-subscription, on camel-quartz's scheduler (one for all connections): at each
     * {@code icws.subscribe.cron} firing, the subscription is made again after a random wait of up to
     * {@code icws.subscribe.jitter}, so that many connections do not all PUT in the same second.
     */
    private Consumer scheduleResubscription(CamelContext context, ConnectionSettings s, IcwsComponent component)
            throws Exception {
        // a firing missed while the scheduler started is skipped, not made up for at once. The connection's route
        // starts once this process owns the data folders (the first route's start starts the scheduler): camel-quartz's
        // triggerStartDelay (500 ms by default) keeps the first firing back until its endpoint is found again; under
        // load 500 ms was seen not to be enough (the firing then went to a new, empty endpoint, and every later one);
        // 2 s keeps the first firing well clear of the start
        Endpoint quartz = context.getEndpoint("quartz:icws/resubscribe-" + id + "?stateful=true"
                + "&trigger.misfireInstruction=2&triggerStartDelay=2000&cron="
                + s.subscribeCron().trim().replaceAll("\\s+", "+"));
        Consumer consumer = quartz.createConsumer(exchange -> {
            long jitter = s.subscribeJitter().toMillis();
            long wait = jitter == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter);
            try {
                // the component's scheduler has no bound: 1,000 connections' firings wait there, none refused
                component.scheduler().schedule(connection::resubscribe, wait, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.debug("Connection {}: the scheduled subscription was not made: the component is stopping", id);
            }
        });
        ServiceHelper.startService(consumer);
        return consumer;
    }

    private static URI embeddedServer(CamelContext context) {
        EmbeddedServer server = context.getRegistry().findSingleByType(EmbeddedServer.class);
        if (server == null) {
            throw new InvalidSettingException("icws.server", "'embedded' is the ICWS simulator of the jar's own "
                    + "runtime, which is not running here; give the URL of the CIC server, e.g. https://cic.example.com:8019");
        }
        return server.baseUri();
    }

    /** Closes the session by the deadline; see {@link IcwsConnection#close(Instant)}. */
    CompletableFuture<Void> close(Instant deadline) {
        return close(deadline, false);
    }

    /** As {@link #close(Instant)}; {@code summarized}: see {@link IcwsConnection#close(Instant, boolean)}. */
    CompletableFuture<Void> close(Instant deadline, boolean summarized) {
        IcwsConnection c = connection;
        if (schedule != null) {
            ServiceHelper.stopAndShutdownService(schedule);
        }
        return c == null ? CompletableFuture.completedFuture(null) : c.close(deadline, summarized);
    }

    /** The session's connection, or null before the start. */
    IcwsConnection connection() {
        return connection;
    }

    /** The consumer stopped: the connection leaves the health checks and the component. */
    void stopped(IcwsComponent component) {
        component.unregister(this);
        stats.stopped();
        HealthCheckRegistry registry = HealthCheckRegistry.get(component.getCamelContext());
        if (registry != null && health != null) {
            registry.unregister(health);
        }
        cutPolls();
        if (checkpoints != null && tracker != null && tracker.stateFile() != null) {
            checkpoints.saveNow(checkpointOwner); // a stopped connection leaves its state file current
        }
        if (outboxOpened) {
            outboxOpened = false;
            outbox.letGo(id); // its new owner delivers what is left of it
            try {
                outbox.stop(); // the last user closes it
            } catch (IOException e) {
                LOG.warn("Connection {}: closing the outbox: {}", id, Failures.describe(e));
            }
        }
    }

    /** Cuts a poll under way: its connection pool closes at once (a later start polls on a new one). */
    void cutPolls() {
        PollConnections connections = pollConnections;
        if (connections != null) {
            connections.cut();
        }
    }

    // ------------------------------------------------------------------------------------------ polling

    /** The GET of the queued messages, for camel-http: URL, session cookie and CSRF token. */
    public void preparePoll(Exchange exchange) {
        IcwsSession session = sessionOf(exchange);
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setBody(null);
        message.setHeader(Exchange.HTTP_METHOD, "GET");
        message.setHeader(Exchange.HTTP_URI, session.server() + IcwsCall.MESSAGES.path(session.sessionId()));
        message.setHeader("Accept", "application/vnd.inin.icws+JSON, application/json");
        message.setHeader("Accept-Language", settings.acceptLanguage());
        message.setHeader("ININ-ICWS-CSRF-Token", session.csrfToken());
        message.setHeader("Cookie", session.cookies());
    }

    /** Reads the answer of the poll: the messages array stays as the body; an error status is thrown. */
    public void onPolled(Exchange exchange) {
        Message message = exchange.getMessage();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String body = message.getBody(String.class);
        message.removeHeaders("*"); // the answer's headers may carry a cookie: none travels further
        if (status == null || status < 200 || status > 299) {
            int code = status == null ? 0 : status;
            throw IcwsRequestException.of(IcwsCall.MESSAGES, code, body);
        }
        message.setBody(body == null || body.isBlank() ? "[]" : body);
    }

    private IcwsSession sessionOf(Exchange exchange) {
        IcwsSession session = connection.session();
        long generation = batchOf(exchange).session();
        if (session == null || generation != connection.generation()) {
            throw new IcwsRequestException(IcwsCall.MESSAGES, 0, null, "the session of this poll has ended", List.of());
        }
        return session;
    }

    // ------------------------------------------------------------------------------------------ messages

    /**
     * A license message: applied to the batch's pending state ({@code isDelta} semantics); each real change
     * becomes one event of the batch. Nothing is visible anywhere before the batch is committed, when its
     * exchange completes.
     *
     * @throws MalformedMessageException when the message does not fit the model (it goes to the dead letters,
     *                                   and the batch is rolled back)
     */
    public void applyLicenseMessage(String message, Exchange exchange) {
        stats.message(status());
        LicenseBatch batch = batchOf(exchange);
        if (batch.failed()) {
            return; // a later message must never be applied to a state without an earlier one
        }
        LicenseMessage license;
        try {
            license = messages.licenseMessage(message);
        } catch (MalformedMessageException e) {
            batch.malformed(message);
            throw e;
        }
        if (awaitingSnapshot) {
            if (!license.snapshot()) {
                // a delta after a failed batch: the state lacks what that batch held; the snapshot the new
                // subscription brings carries this change too
                LOG.debug("Connection {}: a delta before the snapshot that repairs the state; skipped", id);
                return;
            }
            awaitingSnapshot = false;
        }
        batch.add(tracker.apply(license.delta(), license.statuses()));
        // snapshot(), not !delta(): a flat-shape server's isDelta:false is applied as a delta of its one license
        if (license.snapshot() && !firstSnapshotLogged) {
            firstSnapshotLogged = true;
            LOG.info("Connection {}: first snapshot of {}: {}. (ICWS does not check license names: one that does not "
                    + "exist reads as not assigned.)", id, settings.user(), describe(tracker.snapshot()));
        }
        if (batch.events().size() >= settings.eventsPerRecord()) {
            commitPart(batch);
        }
    }

    /**
     * A batch that has made {@code icws.commit.events-per-record} events so far (a bulk change, a poll after an
     * outage) commits them now, with the state they leave, as a record of their own — a part — and goes on: the
     * targets start on it while the rest of the batch is applied. One part at a time: the next part, and the
     * batch's last record, are written only once the part before them is durable, so a failed sync (which cuts off
     * everything it did not make durable) never leaves a later part without an earlier one. A part that fails
     * fails the batch: what its earlier parts committed stays committed, the rest is rolled back as any batch.
     */
    private void commitPart(LicenseBatch batch) {
        awaitPart(batch);
        LicenseTracker t = tracker;
        LicenseTracker.Part part = t.part();
        List<LicenseChangeEvent> events = batch.takeEvents();
        CompletableFuture<Outbox.Committed> committing;
        try {
            committing = outbox.commitAsync(id, part.stateJson(), events);
        } catch (RuntimeException e) {
            committing = CompletableFuture.failedFuture(e);
        }
        // on the store's thread once durable: nothing here waits or takes long
        batch.partCommitting(committing.thenAccept(committed -> {
            t.partCommitted(part, committed.sequence());
            recorded(t, committed);
        }));
    }

    /**
     * Waits, on the route's thread, for the batch's part being committed (a fsync: applying the next part's
     * messages takes longer, so this seldom waits at all); a part that failed fails the batch here.
     */
    private static void awaitPart(LicenseBatch batch) {
        CompletableFuture<Void> part = batch.part();
        if (part != null) {
            try {
                part.join();
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                throw batch.partFailure();
            }
        }
    }

    /**
     * The batch's exchange completed while its latest part is still being committed: {@code then} runs (as the
     * lane's held turn) once that part is durable or failed.
     *
     * @return true when {@code then} was put off
     */
    private boolean afterPart(LicenseBatch batch, Runnable then) {
        CompletableFuture<Void> part = batch.part();
        if (part == null || part.isDone()) {
            return false;
        }
        part.whenComplete((ok, failure) -> handOn(() -> lane.runInHeldTurn(then)));
        return true;
    }

    private static LicenseBatch batchOf(Exchange exchange) {
        LicenseBatch batch = exchange.getProperty(LicenseBatch.PROPERTY, LicenseBatch.class);
        if (batch == null) {
            throw new IllegalStateException("No license batch on this exchange: the watch's steps run only in a route "
                    + "that starts from icws:<connection>");
        }
        return batch;
    }

    private static String describe(Map<String, Boolean> licenses) {
        StringBuilder b = new StringBuilder();
        licenses.forEach((name, assigned) -> b.append(b.length() == 0 ? "" : ", ")
                .append(SafeText.line(name, 100)).append(assigned ? " assigned" : " not assigned"));
        return b.length() == 0 ? "no licenses" : b.toString();
    }

    /**
     * A {@code connectionStateChangeMessage}: on {@code down} the session is over; with {@code shouldReconnect: false}
     * (an administrator's logoff) the connection logs in again only at the next scheduled subscription.
     */
    public void connectionStateChanged(String message, Exchange exchange) {
        connection.connectionStateChanged(batchOf(exchange).session(), messages.newConnectionState(message),
                messages.reason(message), messages.shouldReconnect(message));
    }

    /** A {@code subscriptionStateMessage}: a faulted subscription is made again. */
    public void subscriptionStateChanged(String message, Exchange exchange) {
        String error = messages.subscriptionError(message);
        if (!error.isEmpty()) {
            connection.subscriptionFaulted(batchOf(exchange).session(), error);
        }
    }

    /** A message of a type nobody subscribed to: counted, never an error. */
    public void ignored(String type) {
        String shown = type.isEmpty() ? "(no __type)" : SafeText.line(type, 200);
        // counted by type for the health details; a server inventing types cannot grow this without end
        String counted = ignored.size() < 100 || ignored.containsKey(shown) ? shown : "(other types)";
        ignored.computeIfAbsent(counted, t -> new LongAdder()).increment();
        LOG.debug("Ignored an ICWS message of type {}", shown);
    }

    // ------------------------------------------------------------------------------------------ the batch

    /** A batch begins (on this connection's lane): one exchange, committed or rolled back when it completes. */
    LicenseBatch begin(long session) {
        tracker.rollback(); // nothing pending survives a batch: it was committed or rolled back
        return new LicenseBatch(session);
    }

    /**
     * The batch's exchange completed: the batch becomes one outbox record — its events and the state they leave,
     * synced once — and only then do the targets get its events. The state file is saved afterwards, as a
     * checkpoint, by the component's writer with the others due (it may lag; at start the newer of it and the
     * outbox's record is taken).
     */
    void commit(LicenseBatch batch, Exchange exchange) {
        if (batch.failed()) {
            rollback(batch, exchange); // a failure the route swallowed: the batch is not whole
            return;
        }
        batch.ending();
        if (afterPart(batch, () -> commit(batch, exchange))) {
            return; // the last record is written once the part before it is durable (the exchange is not read again)
        }
        RuntimeException partFailure = batch.partFailure();
        if (partFailure != null) {
            try {
                commitFailed(batch, partFailure);
            } finally {
                batch.ended();
            }
            return;
        }
        if (!tracker.pendingChanged()) {
            tracker.rollback(); // nothing changed: nothing to record
            try {
                connection.batchHandled(batch.session());
            } finally {
                batch.ended();
            }
            return;
        }
        CompletableFuture<Outbox.Committed> committing;
        try {
            committing = outbox.commitAsync(id, tracker.pendingStateJson(), batch.events());
        } catch (RuntimeException e) {
            committing = CompletableFuture.failedFuture(e);
        }
        if (committing.isDone()) {
            committed(batch, committing); // the store committed on this thread, the lane's
            return;
        }
        // the lane stays held (nothing else of this connection runs) until the record is durable; no thread waits
        CompletableFuture<Outbox.Committed> durable = committing;
        committing.whenComplete((ok, failure) -> handOn(() -> lane.runInHeldTurn(() -> committed(batch, durable))));
    }

    /** Work that follows a store's completion leaves the store's thread for the receive pool. */
    private void handOn(Runnable work) {
        try {
            receivePool.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            work.run(); // the component is stopping: the little that is left runs here
        }
    }

    /** The batch's record is durable (or failed): the state moves on, the checkpoint is due, the lane's turn ends. */
    private void committed(LicenseBatch batch, CompletableFuture<Outbox.Committed> committing) {
        try {
            afterCommit(batch, committing);
        } finally {
            batch.ended(); // last: the lane's next step may run from here on
        }
    }

    private void afterCommit(LicenseBatch batch, CompletableFuture<Outbox.Committed> committing) {
        Outbox.Committed committed;
        try {
            try {
                committed = committing.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            tracker.committed(committed.sequence());
        } catch (RuntimeException e) {
            commitFailed(batch, e);
            return;
        }
        PausePoint.reached(PausePoint.COMMIT_QUEUED);
        recorded(tracker, committed);
        connection.batchHandled(batch.session());
    }

    /**
     * A record of the connection (a batch's last, or one of its parts) is durable and queued: counted, and the
     * state checkpoint is due (saved off the lane, with the others due).
     */
    private void recorded(LicenseTracker t, Outbox.Committed committed) {
        stats.committed(committed.entries());
        changes.add(committed.entries().size());
        if (t.stateFile() != null) {
            checkpoints.due(checkpointOwner);
        }
    }

    /**
     * A record of the batch (its last, or one of its parts) could not be committed: the rest of the batch is rolled
     * back (what its earlier parts committed stays), and the connection subscribes again, so that the next snapshot
     * derives the changes again.
     */
    private void commitFailed(LicenseBatch batch, RuntimeException e) {
        if (e instanceof io.icws.licenses.outbox.OutboxFencedException) {
            // another process committed for this connection: go on from its state, not from ours
            LOG.error("Connection {}: {}", id, e.getMessage());
            tracker = loadTracker();
            Outbox.CommittedState theirs = outbox.lastState(id);
            if (theirs != null) {
                tracker.startFrom(theirs.state(), theirs.sequence());
            }
            awaitingSnapshot = true;
            connection.receivingFailed(batch.session(), e);
            return;
        }
        tracker.rollback();
        awaitingSnapshot = true;
        if (!outboxOpened || !outbox.isOpen()) {
            // the connection stopped while the batch was under way: it is simply not committed
            LOG.debug("Connection {}: a batch cut short by the stop is not committed ({})", id, Failures.describe(e));
        } else {
            LOG.error("Connection {}: a batch of license changes could not be committed ({}); no target has any "
                    + "of it{}, and the next snapshot derives it again", id, Failures.describe(e),
                    batch.part() == null ? "" : " beyond its parts committed before");
            connection.receivingFailed(batch.session(), e);
        }
    }

    /**
     * The batch failed — a poll answered an error, timed out or was refused; a message did not fit the model;
     * something unexpected — and nothing of it may be lost: its pending state is dropped (no target saw any of
     * it), a message that did not fit the model goes whole to the dead letters, and the connection logs in again
     * (401) or subscribes again after the backoff, so the next snapshot puts the state right.
     */
    void rollback(LicenseBatch batch, Exchange exchange) {
        batch.ending();
        // what the exchange says is read now: the rest may wait for the batch's latest part, and the exchange
        // may be reused by then (a host's pooled exchanges)
        Exception failure = exchange.getException();
        if (failure == null) {
            failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        }
        keepMalformed(batch, exchange, failure);
        Exception cause = failure;
        Runnable rest = () -> {
            try {
                rolledBack(batch, cause);
            } finally {
                batch.ended();
            }
        };
        if (!afterPart(batch, rest)) {
            rest.run(); // else the state goes back to what the batch's parts committed, once the latest is durable
        }
    }

    private void rolledBack(LicenseBatch batch, Exception failure) {
        tracker.rollback();
        awaitingSnapshot = true; // until the new subscription's snapshot, no delta is applied
        RuntimeException partFailure = batch.partFailure();
        if (partFailure != null) {
            commitFailed(batch, partFailure); // the batch failed because one of its parts could not be committed
            return;
        }
        connection.receivingFailed(batch.session(), failure);
    }

    /** A message that did not fit the model goes whole to the dead letters. */
    private void keepMalformed(LicenseBatch batch, Exchange exchange, Exception failure) {
        MalformedMessageException malformedFailure = Failures.find(failure, MalformedMessageException.class);
        if (malformedFailure != null) {
            malformed.increment();
            String message = batch.malformedMessage() != null ? batch.malformedMessage() : failedMessage(failure, exchange);
            try {
                deadLetters.keepMessage(message, malformedFailure);
            } catch (IOException | RuntimeException e) {
                LOG.error("Connection {}: a message that does not fit the model could not be kept in the dead letters "
                        + "({}); it is lost: {}", id, Failures.describe(e), SafeText.line(message, 300));
            }
        }
    }

    /** The message a split step failed on (Camel keeps its exchange in the failure), else the batch's body. */
    private static String failedMessage(Exception failure, Exchange exchange) {
        org.apache.camel.CamelExchangeException split = Failures.find(failure, org.apache.camel.CamelExchangeException.class);
        Exchange failed = split != null && split.getExchange() != null ? split.getExchange() : exchange;
        String body = failed.getMessage().getBody(String.class);
        return body == null ? "" : body;
    }

    /**
     * This connection's state checkpoints, saved by the component's {@link StateCheckpoints} writer; one that
     * fails is tried again every retry interval (one timer, however many commits come meanwhile).
     */
    private final class CheckpointOwner implements StateCheckpoints.Owner {
        private final java.util.concurrent.atomic.AtomicBoolean retrying = new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public LicenseTracker checkpointTracker() {
            IcwsConnection c = connection;
            return c != null && c.status().state() == IcwsConnection.State.CLOSED && !outboxOpened ? null : tracker;
        }

        @Override
        public void checkpointSaved() {
            if (stateProblem != null) {
                LOG.info("Connection {}: the license state is saved again", id);
                stateProblem = null;
            }
        }

        @Override
        public void checkpointFailed(IOException failure) {
            if (stateProblem == null) {
                LOG.error("Connection {}: the license state cannot be saved to {} ({}); trying again every {} ms. The "
                        + "changes are committed in the outbox and delivered meanwhile.", id, tracker.stateFile(),
                        Failures.describe(failure), settings.retryInitialDelay().toMillis());
            }
            stateProblem = Failures.describe(failure);
            if (retrying.compareAndSet(false, true)) {
                try {
                    scheduler.schedule(() -> {
                        retrying.set(false);
                        if (checkpointTracker() != null) {
                            checkpoints.due(this);
                        }
                    }, settings.retryInitialDelay().toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    retrying.set(false); // stopping: the stop saves the last checkpoint
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ camel-http

    /** The poll's HTTP client: this connection's pool, TLS, time-outs; no cookie handling, no retries. */
    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        pollConnections = PollConnections.configure(builder, settings, ssl);
    }

    // ------------------------------------------------------------------------------------------ status

    public ConnectionSettings settings() {
        return settings;
    }

    /** The session's status, or null before the start. */
    public IcwsConnection.Status status() {
        IcwsConnection c = connection;
        return c == null ? null : c.status();
    }

    /** The current ICWS session, or null. */
    public IcwsSession session() {
        IcwsConnection c = connection;
        return c == null ? null : c.session();
    }

    /** The licenses as the state has them now. */
    public Map<String, Boolean> licenses() {
        LicenseTracker t = tracker;
        return t == null ? Map.of() : t.snapshot();
    }

    /** Why the state could not be saved last, or null. */
    public String stateProblem() {
        return stateProblem;
    }

    /** Log-ins, switches, messages and changes counted, for the meters, the dev console and the status page. */
    public io.icws.licenses.observe.ConnectionStats stats() { return stats; }

    public long malformedCount() {
        return malformed.sum();
    }

    public long changeCount() {
        return changes.sum();
    }

    /** How many messages of each ignored type arrived. */
    public Map<String, Long> ignoredCounts() {
        Map<String, Long> counts = new TreeMap<>();
        ignored.forEach((type, n) -> counts.put(type, n.sum()));
        return counts;
    }

    /** The state file, for the start-up summary. */
    public java.nio.file.Path stateFile() {
        LicenseTracker t = tracker;
        return t == null ? null : t.stateFile();
    }

    @Override
    public String toString() {
        return "LicenseWatch[" + id + "]";
    }

    /** The jar's built-in simulator, when it runs ({@code icws.server=embedded}). */
    public interface EmbeddedServer {
        URI baseUri();
    }
}
