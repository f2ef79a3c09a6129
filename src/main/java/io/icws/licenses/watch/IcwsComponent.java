package io.icws.licenses.watch;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.SettingsReader;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.icws.IcwsTls;
import io.icws.licenses.icws.StreamWatchdog;
import io.icws.licenses.support.SerialExecutor;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.spi.OnCamelContextStopping;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code icws:<connection>}: the ICWS session of one connection as a consumer endpoint. The route that
 * starts {@code from("icws:site-a?watch=#watch")} receives every license message batch of that connection
 * (one poll, or one server-sent event) and, when polling, a tick to GET the queued messages.
 *
 * <p>What all connections of a CamelContext share lives here, so that 200 connections need no thread each:
 * one small scheduler for every connection's steps, one pool for their route work (a lane per connection on
 * it), and one JDK HTTP client per TLS set-up. When the context stops, every connection starts unsubscribing
 * and logging out at once, all by one deadline ({@code icws.shutdown.timeout}), before Camel stops the routes.
 *
 * <p>Polls are the one blocking call (camel-http): they run on a pool per server ({@link #pollPool}), of at most
 * {@value #POLL_THREADS_PER_SERVER} threads that end when idle, so a hung server ties up only its own pool and never
 * the shared one other connections need; a server's pool exists only once a connection polls it.
 */
public class IcwsComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(IcwsComponent.class);
    static final int RECEIVE_THREADS = 8;
    static final int POLL_THREADS_PER_SERVER = 8;
    private static final Duration MAX_SPREAD = Duration.ofSeconds(5);
    /**
     * The queue of a thread pool with no bound. Not -1: for a thread pool (unlike a scheduled one) Camel's
     * DefaultThreadPoolFactory makes a queue size of 0 or less a SynchronousQueue with CallerRunsPolicy, so a task
     * that found every thread busy ran on the thread that gave it: the HTTP client's selector thread ran commits
     * (every stream waited), and a receive thread ran a poll (the hung server it waited for held every connection).
     */
    static final int UNBOUNDED_QUEUE = Integer.MAX_VALUE;

    private final Set<LicenseWatch> watches = new CopyOnWriteArraySet<>();
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();
    private final Map<String, ExecutorService> pollPools = new ConcurrentHashMap<>();
    private final AtomicInteger started = new AtomicInteger();
    private ScheduledExecutorService scheduler;
    private StreamWatchdog watchdog;
    private ExecutorService receivePool;
    private ExecutorService checkpointWriter;
    private StateCheckpoints checkpoints;
    private volatile Instant stopDeadline;
    private volatile Map<IcwsConnection, CompletableFuture<Void>> closingAll;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        IcwsEndpoint endpoint = new IcwsEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        if (endpoint.getWatch() == null) {
            throw new IllegalArgumentException("icws:" + remaining + " needs watch=#<LicenseWatch bean>: the route "
                    + "template icws-license-watch gives it");
        }
        endpoint.getWatch().prepare(getCamelContext());
        return endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        CamelContext context = getCamelContext();
        // Unbounded: every connection keeps a heartbeat here and waits its backoff, jitter and login spread here, so
        // its queue grows with the connections. Camel's default profile bounds a scheduled pool's queue at 1,000
        // tasks and then throws RejectedExecutionException ("Task rejected due queue size limit reached"): at 1,000
        // connections logins, subscriptions and cron firings were lost that way. What waits here is a timer, small.
        scheduler = context.getExecutorServiceManager().newScheduledThreadPool(this, "icws-session",
                new ThreadPoolProfileBuilder("icws-session").poolSize(2).maxQueueSize(-1).build());
        watchdog = new StreamWatchdog(scheduler);
        receivePool = context.getExecutorServiceManager().newThreadPool(this, "icws-receive",
                new ThreadPoolProfileBuilder("icws-receive").poolSize(RECEIVE_THREADS).maxPoolSize(RECEIVE_THREADS)
                        .maxQueueSize(UNBOUNDED_QUEUE).allowCoreThreadTimeOut(true).keepAliveTime(60L, TimeUnit.SECONDS).build());
        // one thread, ending when idle: the state files of every connection, saved together
        checkpointWriter = context.getExecutorServiceManager().newThreadPool(this, "icws-state-checkpoints",
                new ThreadPoolProfileBuilder("icws-state-checkpoints").poolSize(1).maxPoolSize(1).maxQueueSize(UNBOUNDED_QUEUE)
                        .allowCoreThreadTimeOut(true).keepAliveTime(60L, TimeUnit.SECONDS).build());
        checkpoints = new StateCheckpoints(checkpointWriter);
        // Before Camel stops the routes: every connection logs out now, in parallel, by one deadline.
        context.addLifecycleStrategy(LifecycleStrategySupport.adapt((OnCamelContextStopping) ctx -> closeAll()));
    }

    @Override
    protected void doStop() throws Exception {
        // the consumers stopped before the component: every close is over or given up by now
        String summary = closedSummary();
        if (summary != null) {
            LOG.warn(summary);
        }
        closingAll = null;
        stopDeadline = null;
        clients.clear();
        for (ExecutorService pool : pollPools.values()) {
            // a poll still waiting for a thread is abandoned, so its lane is not held for ever
            for (Runnable never : getCamelContext().getExecutorServiceManager().shutdownNow(pool)) {
                if (never instanceof Abandonable a) {
                    a.abandon();
                }
            }
        }
        pollPools.clear();
        if (scheduler != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(scheduler);
            // a lane's turn still queued is never run: its lane stops, and each waiting task's ifNotRun runs
            getCamelContext().getExecutorServiceManager().shutdownNow(receivePool).forEach(SerialExecutor::abandon);
        }
        if (checkpointWriter != null) {
            // each connection saved its last checkpoint at its stop; what is queued still goes out
            getCamelContext().getExecutorServiceManager().shutdownGraceful(checkpointWriter);
        }
        super.doStop();
    }

    /**
     * Starts closing every connection; their consumers wait for it when Camel stops them. What could not be logged
     * out by the deadline is told once, in one line, when the component stops ({@link #closedSummary()}); each
     * session's detail is at DEBUG.
     */
    void closeAll() {
        Instant deadline = Instant.now().plus(shutdownTimeout());
        stopDeadline = deadline;
        Map<IcwsConnection, CompletableFuture<Void>> closing = new LinkedHashMap<>();
        for (LicenseWatch watch : watches) {
            IcwsConnection c = watch.connection();
            CompletableFuture<Void> closed = watch.close(deadline, true);
            if (c != null) {
                closing.put(c, closed);
            }
        }
        closingAll = closing;
    }

    /** True once {@link #closeAll()} runs: a connection's consumer leaves its stop's problems to the summary. */
    boolean closingAll() {
        return closingAll != null;
    }

    /**
     * The one line on the sessions that {@link #closeAll()} could not log out within {@code icws.shutdown.timeout}:
     * "N of M sessions …", with the first reason; null when every session was logged out (or there were none).
     */
    String closedSummary() {
        Map<IcwsConnection, CompletableFuture<Void>> closing = closingAll;
        if (closing == null) {
            return null;
        }
        int sessions = 0;
        int failed = 0;
        String first = null;
        for (Map.Entry<IcwsConnection, CompletableFuture<Void>> e : closing.entrySet()) {
            IcwsConnection c = e.getKey();
            boolean done = e.getValue().isDone();
            if (!c.hadSessionAtClose() && done) {
                continue;
            }
            sessions++;
            String problem = c.closeProblem();
            if (problem == null && !done) {
                problem = "connection " + c.settings().id() + " was not closed by the deadline";
            }
            if (problem != null) {
                failed++;
                if (first == null) {
                    first = problem;
                }
            }
        }
        if (failed == 0) {
            return null;
        }
        return failed + " of " + sessions + " ICWS session(s) could not be logged out cleanly within "
                + "icws.shutdown.timeout (" + shutdownTimeout().toMillis() + " ms); stopped anyway. The first: " + first
                + ". Each session at DEBUG (logger " + IcwsConnection.class.getName() + ")";
    }

    /** The deadline of a stop under way, or a new one for a connection stopped on its own. */
    Instant deadline() {
        Instant d = stopDeadline;
        return d != null ? d : Instant.now().plus(shutdownTimeout());
    }

    Duration shutdownTimeout() {
        return new SettingsReader(getCamelContext().getPropertiesComponent()::resolveProperty)
                .duration("icws.shutdown.timeout", "5s");
    }

    /** Where the connections' state checkpoints are saved, off their lanes. */
    StateCheckpoints checkpoints() {
        return checkpoints;
    }

    void register(LicenseWatch watch) {
        watches.add(watch);
    }

    void unregister(LicenseWatch watch) {
        watches.remove(watch);
    }

    /** Every connection of this context, for health and the start-up summary. */
    public List<LicenseWatch> watches() {
        return List.copyOf(watches);
    }

    /**
     * When a starting connection logs in: spread over up to 10 ms per connection started so far (at most 5 s),
     * so that 200 connections do not log in in the same millisecond.
     */
    Duration firstLoginDelay() {
        long spread = Math.min(MAX_SPREAD.toMillis(), 10L * started.incrementAndGet());
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(spread + 1));
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** The one watchdog of every connection's event stream. */
    StreamWatchdog streamWatchdog() {
        return watchdog;
    }

    ExecutorService receivePool() {
        return receivePool;
    }

    /** The one thread the state checkpoints are saved on. */
    ExecutorService checkpointWriter() {
        return checkpointWriter;
    }

    /** A task that can be told it will never run. */
    interface Abandonable {
        void abandon();
    }

    /** The pool the polls of sessions on this server run on (one per scheme, host and port). */
    Executor pollPool(URI server) {
        if (!isRunAllowed()) {
            throw new RejectedExecutionException("the icws component is stopping");
        }
        String key = server.getScheme() + "://" + server.getRawAuthority();
        return pollPools.computeIfAbsent(key, k -> getCamelContext().getExecutorServiceManager().newThreadPool(this,
                "icws-poll " + server.getRawAuthority(), new ThreadPoolProfileBuilder("icws-poll")
                        .poolSize(POLL_THREADS_PER_SERVER).maxPoolSize(POLL_THREADS_PER_SERVER).maxQueueSize(UNBOUNDED_QUEUE)
                        .allowCoreThreadTimeOut(true).keepAliveTime(30L, TimeUnit.SECONDS).build()));
    }

    /** One JDK client per TLS set-up and connect time-out, shared by the connections that have the same. */
    HttpClient httpClient(ConnectionSettings settings, SSLContext ssl) {
        ConnectionSettings.Tls tls = settings.tls();
        String key = tls.trustStore() + "|" + tls.type() + "|" + tls.insecure() + "|" + settings.connectTimeout();
        return clients.computeIfAbsent(key, k -> {
            LOG.debug("New HTTP client for ICWS calls: {}", k);
            return HttpClient.newBuilder()
                    .connectTimeout(settings.connectTimeout())
                    .sslContext(ssl)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .version(HttpClient.Version.HTTP_1_1)
                    // the client's own selector thread runs what follows a read: the stream's bytes, the answers'
                    // dependents. Each of those only reads a little and hands work over (to a lane), never blocks;
                    // an executor of its own cost a thread hand-over per read, every keep-alive comment of every
                    // stream (half of a keep-alive's CPU, and two threads)
                    .executor(Runnable::run)
                    .build();
        });
    }

    /** The SSL context of a connection (its trust store loaded once per connection start). */
    static SSLContext sslContext(ConnectionSettings settings, SettingsReader reader) {
        return IcwsTls.sslContext(settings.tls(), reader.keyOf("icws.tls.trust-store"));
    }
}
