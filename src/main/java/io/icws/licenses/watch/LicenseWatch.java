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
import java.util.concurrent.Executor;
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
import io.icws.licenses.icws.IcwsTls;
import io.icws.licenses.icws.LicenseMessage;
import io.icws.licenses.outbox.DeadLetters;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.OutboxComponent;
import io.icws.licenses.outbox.OutboxWriteException;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.state.LicenseTracker;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.SafeText;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's watch: the bean each instance of the route template {@code icws-license-watch} owns (no
 * singleton per connection). It reads the connection's settings, keeps its {@link IcwsConnection} (the
 * session), its {@link LicenseTracker} (the state) and its counters, and gives the route its steps: get the
 * queued messages with camel-http when polling, turn a license message into change events, follow what the
 * server says about the session, and commit a batch (outbox synced, then the state saved).
 *
 * <p>It is also the camel-http client configurer of the connection's polls: its own connection pool (closed at
 * once at shutdown, which cuts a poll under way), its TLS set-up and time-outs, and no cookie handling — the
 * session cookie is sent by hand.
 */
public class LicenseWatch implements HttpClientConfigurer {

    /** Header of a polling tick: the route GETs the queued messages. */
    public static final String POLL_HEADER = "IcwsPoll";
    /** Exchange property: the generation of the session the messages belong to. */
    public static final String SESSION_PROPERTY = "IcwsSession";

    private static final Logger LOG = LoggerFactory.getLogger(LicenseWatch.class);
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");

    private final String id;
    private final IcwsMessages messages = new IcwsMessages();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder changes = new LongAdder();
    private final Map<String, LongAdder> ignored = new ConcurrentHashMap<>();

    private volatile ConnectionSettings settings;
    private volatile IcwsConnection connection;
    private volatile LicenseTracker tracker;
    private Outbox outbox;
    private DeadLetters deadLetters;
    private SSLContext ssl;
    private List<URI> servers;
    private volatile PollConnections pollConnections;
    /** The batch under way had a failure (only touched on this connection's lane). */
    private boolean batchFailed;
    private Consumer schedule;
    private ConnectionHealthCheck health;
    private volatile String stateProblem;
    private Executor lane;
    private ScheduledExecutorService scheduler;
    private volatile boolean firstSnapshotLogged;

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
        String serverIdentity = s.embedded() ? ConnectionSettings.EMBEDDED : servers.get(0).getAuthority();
        tracker = new LicenseTracker(id, serverIdentity, s.user(), s.stateDirectory(), Clock.systemUTC());
        settings = s;
    }

    /**
     * Starts the session (the consumer starts).
     *
     * @param lane where the route's work for this connection runs, one step at a time
     */
    void start(IcwsConnection.Receiver receiver, IcwsComponent component, Executor lane) throws Exception {
        this.lane = lane;
        this.scheduler = component.scheduler();
        CamelContext context = component.getCamelContext();
        prepare(context);
        ConnectionSettings s = settings;
        if (s.tls().insecure()) {
            LOG.warn("Connection {}: icws.tls.insecure=true: ICWS server certificates and host names are NOT checked. "
                    + "Anyone between here and the server can read the password. Use icws.tls.trust-store instead.", id);
        }
        connection = new IcwsConnection(s, new IcwsClient(component.httpClient(s, ssl), s), component.scheduler(),
                component.scheduler(), receiver, servers);
        health = new ConnectionHealthCheck(this);
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry != null && !registry.register(health)) {
            LOG.warn("Connection {}: health check {} not registered: another check has that name", id, health.getId());
        }
        schedule = scheduleResubscription(context, s, component);
        component.register(this);
        connection.start(component.firstLoginDelay());
    }

    /**
     * The scheduled re-subscription, on camel-quartz's scheduler (one for all connections): at each
     * {@code icws.subscribe.cron} firing, the subscription is made again after a random wait of up to
     * {@code icws.subscribe.jitter}, so that many connections do not all PUT in the same second.
     */
    private Consumer scheduleResubscription(CamelContext context, ConnectionSettings s, IcwsComponent component)
            throws Exception {
        // a firing missed while the scheduler started is skipped, not made up for at once
        Endpoint quartz = context.getEndpoint("quartz:icws/resubscribe-" + id + "?stateful=true"
                + "&trigger.misfireInstruction=2&cron=" + s.subscribeCron().trim().replaceAll("\\s+", "+"));
        Consumer consumer = quartz.createConsumer(exchange -> {
            long jitter = s.subscribeJitter().toMillis();
            long wait = jitter == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter);
            component.scheduler().schedule(connection::resubscribe, wait, TimeUnit.MILLISECONDS);
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
        IcwsConnection c = connection;
        if (schedule != null) {
            ServiceHelper.stopAndShutdownService(schedule);
        }
        return c == null ? CompletableFuture.completedFuture(null) : c.close(deadline);
    }

    /** The consumer stopped: the connection leaves the health checks and the component. */
    void stopped(IcwsComponent component) {
        component.unregister(this);
        HealthCheckRegistry registry = HealthCheckRegistry.get(component.getCamelContext());
        if (registry != null && health != null) {
            registry.unregister(health);
        }
        cutPolls();
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

    /**
     * Getting or handling a batch failed — a poll answered an error, timed out or was refused; the events could not
     * be written to the outbox (disk full); something unexpected — and nothing of it may be lost: the batch's
     * pending state is dropped, and the connection logs in again (401) or subscribes again after the backoff, so
     * the next snapshot derives every change again, with the same ids.
     */
    public void receivingFailed(Exchange exchange) {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        tracker.rollback();
        if (batchFailed) {
            return; // one failure per batch is enough: the rest of it is skipped, the subscription made again
        }
        batchFailed = true;
        if (failure instanceof OutboxWriteException) {
            LOG.error("Connection {}: license changes could not be made durable ({}); they will be derived again from "
                    + "the next snapshot", id, Failures.describe(failure));
        }
        connection.receivingFailed(exchange.getProperty(SESSION_PROPERTY, 0L, Long.class), failure);
    }

    /**
     * A batch of messages begins (on this connection's lane). Once one of its messages failed, the rest of it
     * derives no change and it is not committed: its state is rolled back, and the snapshot that the new
     * subscription brings derives what it held again, with the same ids (a later message must never be applied
     * to a state without an earlier one).
     */
    void batchStarting() {
        batchFailed = false;
    }

    /** A batch failed outside the route's own error handling: as {@link #receivingFailed(Exchange)}. */
    void batchFailed(long session, Exception failure) {
        tracker.rollback();
        if (!batchFailed) {
            batchFailed = true;
            connection.receivingFailed(session, failure);
        }
    }

    private IcwsSession sessionOf(Exchange exchange) {
        IcwsSession session = connection.session();
        long generation = exchange.getProperty(SESSION_PROPERTY, 0L, Long.class);
        if (session == null || generation != connection.generation()) {
            throw new IcwsRequestException(IcwsCall.MESSAGES, 0, null, "the session of this poll has ended", List.of());
        }
        return session;
    }

    // ------------------------------------------------------------------------------------------ messages

    /**
     * A license message: applied to the state ({@code isDelta} semantics), each real change becomes one event.
     * The state is saved only at {@link #commit()}, after the events are in the outbox.
     *
     * @throws io.icws.licenses.icws.MalformedMessageException when the message does not fit the model
     */
    public List<LicenseChangeEvent> licenseChanges(String message) {
        if (batchFailed) {
            return List.of();
        }
        LicenseMessage license = messages.licenseMessage(message);
        List<LicenseChangeEvent> events = tracker.apply(license.delta(), license.statuses());
        changes.add(events.size());
        if (!license.delta() && !firstSnapshotLogged) {
            firstSnapshotLogged = true;
            LOG.info("Connection {}: first snapshot of {}: {}. (ICWS does not check license names: one that does not "
                    + "exist reads as not assigned.)", id, settings.user(), describe(tracker.snapshot()));
        }
        return events;
    }

    private static String describe(Map<String, Boolean> licenses) {
        StringBuilder b = new StringBuilder();
        licenses.forEach((name, assigned) -> b.append(b.length() == 0 ? "" : ", ")
                .append(SafeText.line(name, 100)).append(assigned ? " assigned" : " not assigned"));
        return b.length() == 0 ? "no licenses" : b.toString();
    }

    /** A {@code connectionStateChangeMessage}: on {@code down} the session is over. */
    public void connectionStateChanged(String message, Exchange exchange) {
        connection.connectionStateChanged(exchange.getProperty(SESSION_PROPERTY, 0L, Long.class),
                messages.newConnectionState(message), messages.reason(message));
    }

    /** A {@code subscriptionStateMessage}: a faulted subscription is made again. */
    public void subscriptionStateChanged(String message, Exchange exchange) {
        String error = messages.subscriptionError(message);
        if (!error.isEmpty()) {
            connection.subscriptionFaulted(exchange.getProperty(SESSION_PROPERTY, 0L, Long.class), error);
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

    /** A message that does not fit the model: kept whole in the dead letters with the reason. */
    public void malformed(Exchange exchange) throws IOException {
        malformed.increment();
        Exception reason = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String body = exchange.getMessage().getBody(String.class);
        deadLetters.keepMessage(body == null ? "" : body, reason);
    }

    /**
     * The end of a batch: the events appended to the outbox are made durable (one fsync), then the state is
     * saved. In that order, a crash never leaves a change in the saved state that is in no outbox.
     *
     * <p>If the state cannot be saved (disk full), the events are out all the same; the state stays pending —
     * the next batch builds on it — and saving is tried again on this connection's lane until it works. Health
     * shows it meanwhile. Nothing is sent twice: a duplicate, with its id, could only follow a crash before the
     * state is saved.
     *
     * @throws OutboxWriteException when the outbox cannot be synced (then the batch is derived again)
     */
    public void commit(Exchange exchange) {
        if (batchFailed) {
            return;
        }
        outbox.sync();
        connection.batchHandled(exchange.getProperty(SESSION_PROPERTY, 0L, Long.class));
        try {
            tracker.commit();
            if (stateProblem != null) {
                LOG.info("Connection {}: the license state is saved again", id);
                stateProblem = null;
            }
        } catch (IOException e) {
            if (stateProblem == null) {
                LOG.error("Connection {}: the license state cannot be saved to {} ({}); trying again every {} ms. The "
                        + "changes are delivered meanwhile.", id, tracker.stateFile(), Failures.describe(e),
                        settings.retryInitialDelay().toMillis());
                scheduler.schedule(() -> lane.execute(this::saveAgain), settings.retryInitialDelay().toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            stateProblem = Failures.describe(e);
        }
    }

    private void saveAgain() {
        if (stateProblem == null || connection.status().state() == IcwsConnection.State.CLOSED) {
            return;
        }
        try {
            tracker.commit();
            LOG.info("Connection {}: the license state is saved again", id);
            stateProblem = null;
        } catch (IOException e) {
            stateProblem = Failures.describe(e);
            scheduler.schedule(() -> lane.execute(this::saveAgain), settings.retryInitialDelay().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------ camel-http

    /** The poll's HTTP client: this connection's pool, TLS, time-outs; no cookie handling, no retries. */
    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        ConnectionSettings s = settings;
        PollConnections connections = new PollConnections(() -> PoolingHttpClientConnectionManagerBuilder.create()
                .setTlsSocketStrategy(ClientTlsStrategyBuilder.create().setSslContext(ssl)
                        .setHostnameVerifier(IcwsTls.hostnameVerifier(s.tls())).buildClassic())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(s.connectTimeout()))
                        .setSocketTimeout(Timeout.of(s.responseTimeout())).build())
                .setMaxConnPerRoute(2)
                .build());
        pollConnections = connections;
        builder.setConnectionManager(connections)
                .setConnectionManagerShared(false)
                .disableCookieManagement()
                .disableAutomaticRetries()
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(s.connectTimeout()))
                        .setResponseTimeout(Timeout.of(s.responseTimeout())).build());
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
