package io.icws.licenses.observe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.outbox.TargetQueue;
import io.icws.licenses.state.ChangeType;
import io.icws.licenses.watch.LicenseWatch;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.apache.camel.CamelContext;

/**
 * The {@code icws_*} meters, in the host's Micrometer registry (never one of our own, never the global one). The
 * names as Prometheus shows them:
 * <ul>
 *   <li>{@code icws_license_assigned{connection,user,license}} 1/0 (NaN until the first snapshot), one per
 *       <em>subscribed</em> license: a license the server reports without being subscribed gets no series;</li>
 *   <li>{@code icws_license_changes_total{connection,change_type}} observed / assigned / unassigned, committed;</li>
 *   <li>{@code icws_session_up{connection}} 1 while logged in, subscribed and receiving;</li>
 *   <li>{@code icws_logins_total{connection}}, {@code icws_server_switches_total{connection}};</li>
 *   <li>{@code icws_messages_total{connection,mode}} license messages by sse / poll;</li>
 *   <li>{@code icws_target_queue_depth{target}}, {@code icws_target_delivered_total{target}},
 *       {@code icws_dead_letters_total{target}} (over {@link TargetQueue#status()});</li>
 *   <li>{@code icws_delivery_seconds{target}}: change made (the event's {@code time}) to the target having it.</li>
 * </ul>
 * Every label value comes from configuration (connection ids, users, subscribed licenses, target names), so the
 * number of series is bounded by the settings, whatever the server sends.
 */
final class IcwsMeters {

    /** The bean camel-main (and camel-micrometer) binds its registry as. */
    static final String CAMEL_REGISTRY_BEAN = "metricsRegistry";

    private static final Duration[] BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
        Duration.ofMinutes(5)};

    private final MeterRegistry registry;
    private final IcwsObserver observer;
    private final Map<String, List<Meter>> connectionMeters = new ConcurrentHashMap<>();
    private final Map<String, Timer> deliveries = new ConcurrentHashMap<>();
    private final Set<String> targets = ConcurrentHashMap.newKeySet();
    private final Set<String> leaders = ConcurrentHashMap.newKeySet();

    private IcwsMeters(MeterRegistry registry, IcwsObserver observer) {
        this.registry = registry;
        this.observer = observer;
    }

    /** The meters in the context's registry, or null when it has none. */
    static IcwsMeters find(CamelContext context, IcwsObserver observer) {
        MeterRegistry registry = registry(context);
        return registry == null ? null : new IcwsMeters(registry, observer);
    }

    /**
     * The host's registry: camel-main's / camel-micrometer's {@code metricsRegistry}; else the only one bound, or
     * of several (Spring Boot with more than one backend) the composite.
     */
    static MeterRegistry registry(CamelContext context) {
        MeterRegistry named = context.getRegistry().lookupByNameAndType(CAMEL_REGISTRY_BEAN, MeterRegistry.class);
        if (named != null) {
            return named;
        }
        Set<MeterRegistry> all = context.getRegistry().findByType(MeterRegistry.class);
        if (all == null || all.isEmpty()) {
            return null;
        }
        if (all.size() == 1) {
            return all.iterator().next();
        }
        return all.stream().filter(r -> r instanceof CompositeMeterRegistry).findFirst()
                .orElseGet(() -> all.stream().min(Comparator.comparing(r -> r.getClass().getName())).orElseThrow());
    }

    MeterRegistry registry() {
        return registry;
    }

    void connection(LicenseWatch watch) {
        removeConnection(watch.id());
        ConnectionSettings s = watch.settings();
        String id = watch.id();
        ConnectionStats stats = watch.stats();
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("icws.session.up", watch, w -> {
                    IcwsConnection.Status status = w.status();
                    return status != null && status.healthy() ? 1 : 0;
                }).strongReference(true).tag("connection", id)
                .description("1 while the connection is logged in, subscribed and receiving").register(registry));
        if (s != null) {
            for (String license : s.licenses()) {
                meters.add(Gauge.builder("icws.license.assigned", watch, w -> {
                            Boolean assigned = w.licenses().get(license);
                            return assigned == null ? Double.NaN : assigned ? 1 : 0;
                        }).strongReference(true).tags("connection", id, "user", s.user(), "license", license)
                        .description("1 while the subscribed license is assigned to the user, 0 while not")
                        .register(registry));
            }
        }
        for (ChangeType type : ChangeType.values()) {
            meters.add(FunctionCounter.builder("icws.license.changes", stats, st -> st.changes(type))
                    .tags("connection", id, "change_type", type.value())
                    .description("License changes committed, by type").register(registry));
        }
        meters.add(FunctionCounter.builder("icws.logins", stats, ConnectionStats::logins).tag("connection", id)
                .description("Successful log-ins to ICWS").register(registry));
        meters.add(FunctionCounter.builder("icws.server.switches", stats, ConnectionStats::serverSwitches)
                .tag("connection", id).description("Log-in attempts moved to another server").register(registry));
        meters.add(FunctionCounter.builder("icws.messages", stats, st -> st.messages(IcwsConnection.Mode.SSE))
                .tags("connection", id, "mode", "sse").description("License messages received").register(registry));
        meters.add(FunctionCounter.builder("icws.messages", stats, st -> st.messages(IcwsConnection.Mode.POLL))
                .tags("connection", id, "mode", "poll").description("License messages received").register(registry));
        connectionMeters.put(id, meters);
    }

    void removeConnection(String id) {
        List<Meter> meters = connectionMeters.remove(id);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
    }

    /** The meters of a target, once (they read its queue by name, so a queue made anew is read as well). */
    void target(String target) {
        if (!targets.add(target)) {
            return;
        }
        Gauge.builder("icws.target.queue.depth", observer, o -> {
                    TargetQueue.Status status = o.target(target);
                    return status == null ? Double.NaN : status.depth();
                }).strongReference(true).tag("target", target)
                .description("Events waiting for the target").register(registry);
        FunctionCounter.builder("icws.target.delivered", observer, o -> {
                    TargetQueue.Status status = o.target(target);
                    return status == null ? 0 : status.delivered();
                }).tag("target", target).description("Events the target took (this run)").register(registry);
        FunctionCounter.builder("icws.dead.letters", observer, o -> {
                    TargetQueue.Status status = o.target(target);
                    return status == null ? 0 : status.deadLettered();
                }).tag("target", target).description("Events the target refused to the end: in the dead letters (this run)")
                .register(registry);
        timer(target);
    }

    /**
     * {@code icws_connection_leader{connection}}: 1 while this process owns the connection (the data folders, or its own
     * namespace with the database store), 0 while it stands by; one gauge per configured connection, made once.
     */
    void leadership(List<String> connections, java.util.function.Predicate<String> leads) {
        for (String connection : connections) {
            if (leaders.add(connection)) {
                Gauge.builder("icws.connection.leader", leads, l -> l.test(connection) ? 1 : 0).strongReference(true)
                        .tag("connection", connection)
                        .description("1 while this process watches the connection, 0 while it stands by")
                        .register(registry);
            }
        }
    }

    void delivered(String target, Duration took) {
        target(target);
        timer(target).record(took);
    }

    private Timer timer(String target) {
        return deliveries.computeIfAbsent(target, t -> Timer.builder("icws.delivery").tag("target", t)
                .description("From the change (the event's time) to the target having it")
                // a dozen fixed buckets, from a server-sent event's milliseconds to an outage's minutes
                .serviceLevelObjectives(BUCKETS)
                .register(registry));
    }
}
