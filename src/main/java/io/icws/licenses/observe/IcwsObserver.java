package io.icws.licenses.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.OutboxComponent;
import io.icws.licenses.outbox.TargetQueue;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.watch.IcwsComponent;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one CamelContext's connections and targets look like from outside, in one place: the recent committed
 * changes (a bounded ring), the {@code icws_*} meters when the host has a Micrometer registry ({@link IcwsMeters};
 * none, and nothing is registered and nothing fails), and one {@link #view()} that the dev console {@code icws}
 * and the jar's status page show. Bound once per context as {@code icwsObserver}.
 *
 * <p>Everything it shows comes from configuration or was said by the server: whoever renders it escapes it.
 */
public final class IcwsObserver {

    /** The registry name. */
    public static final String BEAN = "icwsObserver";
    /** How many recent changes are kept (per context). */
    public static final int RECENT = 50;

    private static final Logger LOG = LoggerFactory.getLogger(IcwsObserver.class);

    private final CamelContext context;
    private final ArrayDeque<RecentChange> recent = new ArrayDeque<>();
    private volatile IcwsMeters meters;
    private volatile boolean metersLookedUp;

    private IcwsObserver(CamelContext context) {
        this.context = context;
    }

    /** The context's observer, made and bound on first use. */
    public static IcwsObserver of(CamelContext context) {
        synchronized (context) {
            IcwsObserver existing = context.getRegistry().lookupByNameAndType(BEAN, IcwsObserver.class);
            if (existing != null) {
                return existing;
            }
            IcwsObserver observer = new IcwsObserver(context);
            context.getRegistry().bind(BEAN, observer);
            return observer;
        }
    }

    /**
     * Records a delivery: how long the change took from when it was made (its {@code time}) to the target having
     * it, in {@code icws_delivery_seconds{target}}. For the target's consumer, once the target took the event.
     */
    public static void delivered(CamelContext context, String target, LicenseChangeEvent event) {
        of(context).delivered(target, event, Instant.now());
    }

    /** As {@link #delivered(CamelContext, String, LicenseChangeEvent)}, for a caller that keeps the observer. */
    public void delivered(String target, LicenseChangeEvent event) {
        delivered(target, event, Instant.now());
    }

    void delivered(String target, LicenseChangeEvent event, Instant at) {
        IcwsMeters m = meters();
        if (m == null || event == null || event.time() == null) {
            return;
        }
        try {
            Duration took = Duration.between(instantOf(event.time()), at);
            m.delivered(target, took.isNegative() ? Duration.ZERO : took);
        } catch (RuntimeException e) {
            LOG.debug("Delivery of event {} to {} not timed: {}", event.id(), target, e.toString());
        }
    }

    /**
     * An event's time: {@code 2026-11-28T01:47:10.074Z}, as {@link Instant#toString()} writes it, read without a
     * parser (this runs for every event a target takes; {@code Instant.parse} was a fifth of the JMS target's
     * thread); any other text through {@link Instant#parse}.
     */
    static Instant instantOf(String time) {
        int n = time.length();
        if (n >= 20 && n <= 30 && time.charAt(4) == '-' && time.charAt(7) == '-' && time.charAt(10) == 'T'
                && time.charAt(13) == ':' && time.charAt(16) == ':' && time.charAt(n - 1) == 'Z'
                && (n == 20 || time.charAt(19) == '.')) {
            int year = digits(time, 0, 4);
            int month = digits(time, 5, 7);
            int day = digits(time, 8, 10);
            int hour = digits(time, 11, 13);
            int minute = digits(time, 14, 16);
            int second = digits(time, 17, 19);
            int fraction = n == 20 ? 0 : digits(time, 20, n - 1);
            if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23
                    && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && fraction >= 0 && n - 21 <= 9) {
                try {
                    long epochSecond = java.time.LocalDate.of(year, month, day).toEpochDay() * 86_400L
                            + hour * 3_600L + minute * 60L + second;
                    int nanos = n == 20 ? 0 : fraction * (int) Math.pow(10, 9 - (n - 21));
                    return Instant.ofEpochSecond(epochSecond, nanos);
                } catch (java.time.DateTimeException e) {
                    // not a day of the calendar: the parser says so
                }
            }
        }
        return Instant.parse(time);
    }

    /** The decimal number in {@code text[from, to)}, or -1 when it is not all digits. */
    private static int digits(String text, int from, int to) {
        if (to <= from) {
            return -1;
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    // ------------------------------------------------------------------------------------------ from the watches

    void connectionStarted(LicenseWatch watch) {
        IcwsMeters m = meters();
        if (m != null) {
            m.connection(watch);
        }
    }

    void connectionStopped(LicenseWatch watch) {
        IcwsMeters m = meters();
        if (m != null) {
            m.removeConnection(watch.id());
        }
    }

    void committed(List<Outbox.Entry> entries) {
        synchronized (recent) {
            // only the newest RECENT stay: a record of thousands of changes adds only those
            for (Outbox.Entry entry : entries.subList(Math.max(0, entries.size() - RECENT), entries.size())) {
                LicenseChangeEvent e = entry.event();
                LicenseChangeEvent.Data d = e.data();
                recent.addFirst(new RecentChange(e.time(), e.id(), d == null ? null : d.user(),
                        d == null ? null : d.license(), d == null ? null : d.changeType(), entry.sequence()));
                while (recent.size() > RECENT) {
                    recent.removeLast();
                }
            }
        }
    }

    /** A target's consumer started (in the process that owns the data folders): its meters. */
    public void targetStarted(String target) {
        IcwsMeters m = meters();
        if (m != null) {
            m.target(target);
        }
    }

    /** Every target queue the outbox has now gets its meters (targets start after connections may). */
    public void targetsStarted() {
        IcwsMeters m = meters();
        Outbox outbox = outbox();
        if (m != null && outbox != null) {
            for (TargetQueue queue : outbox.queues()) {
                m.target(queue.target());
            }
        }
    }

    /**
     * The registry's meters; null when the host has no Micrometer registry. Looked up until the context has started
     * (a runtime may bind its registry late in the start), then settled.
     */
    IcwsMeters meters() {
        IcwsMeters m = meters;
        if (m != null || metersLookedUp) {
            return m;
        }
        synchronized (this) {
            if (meters == null && !metersLookedUp) {
                boolean started = context.isStarted();
                IcwsMeters found = micrometerPresent() ? IcwsMeters.find(context, this) : null;
                if (found != null) {
                    Object ownership = context.getRegistry().lookupByName("icwsOwnership");
                    Object settings = context.getRegistry().lookupByName("icwsSettings");
                    if (ownership instanceof io.icws.licenses.cluster.DataFolderOwnership o
                            && settings instanceof io.icws.licenses.config.IcwsSettings s) {
                        found.leadership(s.connections(), o::leadsConnection);
                    }
                    // the connections and targets that started before the registry was there
                    watches().forEach(found::connection);
                    Outbox outbox = outbox();
                    if (outbox != null) {
                        outbox.queues().forEach(q -> found.target(q.target()));
                    }
                }
                meters = found;
                metersLookedUp = started;
            }
            return meters;
        }
    }

    /** Micrometer is optional for a library host: without it, IcwsMeters (which links to it) is never loaded. */
    private static boolean micrometerPresent() {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry", false, IcwsObserver.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Whether the icws_* meters are registered here (a Micrometer registry was found). */
    public boolean hasMeters() {
        return meters() != null;
    }

    // ------------------------------------------------------------------------------------------ what is shown

    /** The recent changes, newest first. */
    public List<RecentChange> recentChanges() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** The running connections. */
    public List<LicenseWatch> watches() {
        IcwsComponent component = context.hasComponent("icws") instanceof IcwsComponent c ? c : null;
        List<LicenseWatch> watches = new ArrayList<>(component == null ? List.of() : component.watches());
        watches.sort(java.util.Comparator.comparing(LicenseWatch::id));
        return watches;
    }

    /** The target queues of this run. */
    public List<TargetQueue.Status> targets() {
        Outbox outbox = outbox();
        List<TargetQueue.Status> statuses = new ArrayList<>();
        if (outbox != null) {
            outbox.queues().forEach(q -> statuses.add(q.status()));
        }
        statuses.sort(java.util.Comparator.comparing(TargetQueue.Status::target));
        return statuses;
    }

    TargetQueue.Status target(String name) {
        Outbox outbox = outbox();
        if (outbox == null) {
            return null;
        }
        for (TargetQueue queue : outbox.queues()) {
            if (queue.target().equals(name)) {
                return queue.status();
            }
        }
        return null;
    }

    private Outbox outbox() {
        return context.getRegistry().lookupByNameAndType(OutboxComponent.OUTBOX_BEAN, Outbox.class);
    }

    /**
     * Everything the console and the status page show, as plain maps and lists (JSON as it is): {@code
     * connections} (id, user, server, state up/down/standing by, why, mode, last message, licenses), {@code
     * licenses} (the subscribed names, the columns of the users × licenses table), {@code changes} (newest first),
     * {@code targets} (queue depth, delivered, dead letters, last error).
     */
    public Map<String, Object> view() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("time", Instant.now().toString());
        List<Map<String, Object>> connections = new ArrayList<>();
        TreeSet<String> licenseNames = new TreeSet<>();
        List<String> running = new ArrayList<>();
        for (LicenseWatch watch : watches()) {
            running.add(watch.id());
            connections.add(connection(watch, licenseNames));
        }
        IcwsSettings settings = context.getRegistry().lookupByNameAndType("icwsSettings", IcwsSettings.class);
        if (settings != null) {
            for (String id : settings.connections()) {
                if (!running.contains(id)) {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("id", id);
                    c.put("state", "standing by");
                    c.put("why", "not running in this process (its route is stopped, or another replica leads it)");
                    connections.add(c);
                }
            }
        }
        view.put("connections", connections);
        view.put("licenses", List.copyOf(licenseNames));
        List<Map<String, Object>> changes = new ArrayList<>();
        for (RecentChange r : recentChanges()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("time", r.time());
            c.put("id", r.id());
            c.put("user", r.user());
            c.put("license", r.license());
            c.put("changeType", r.changeType());
            changes.add(c);
        }
        view.put("changes", changes);
        List<Map<String, Object>> targets = new ArrayList<>();
        for (TargetQueue.Status t : targets()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", t.target());
            m.put("state", t.healthy() ? "draining" : "failing");
            m.put("depth", t.depth());
            m.put("delivered", t.delivered());
            m.put("deadLettered", t.deadLettered());
            m.put("lastError", t.lastError());
            m.put("failingEvent", t.failingEvent());
            m.put("failingSince", t.failingSince() == null ? null : t.failingSince().toString());
            targets.add(m);
        }
        view.put("targets", targets);
        return view;
    }

    private static Map<String, Object> connection(LicenseWatch watch, Collection<String> licenseNames) {
        Map<String, Object> c = new LinkedHashMap<>();
        ConnectionSettings s = watch.settings();
        IcwsConnection.Status status = watch.status();
        c.put("id", watch.id());
        c.put("user", s == null ? null : s.user());
        c.put("server", status == null || status.server() == null ? null : status.server().toString());
        boolean up = status != null && status.healthy();
        c.put("state", up ? "up" : "down");
        c.put("session", status == null ? "starting" : status.state().name().toLowerCase(java.util.Locale.ROOT));
        c.put("why", up ? null : status == null ? "not started yet" : status.problem());
        c.put("since", status == null || status.problemSince() == null ? null : status.problemSince().toString());
        c.put("mode", status == null || status.mode() == null ? null
                : status.mode() == IcwsConnection.Mode.SSE ? "sse" : "poll");
        Instant last = watch.stats().lastMessage();
        c.put("lastMessage", last == null ? null : last.toString());
        Map<String, Object> licenses = new LinkedHashMap<>();
        Map<String, Boolean> state = watch.licenses();
        for (String license : s == null ? List.<String>of() : s.licenses()) {
            Boolean assigned = state.get(license);
            licenses.put(license, assigned);
            licenseNames.add(license);
        }
        c.put("licenses", licenses);
        c.put("logins", watch.stats().logins());
        c.put("serverSwitches", watch.stats().serverSwitches());
        return c;
    }

    /**
     * One committed change, as the status page lists it.
     *
     * @param time when the change was made (the event's {@code time})
     */
    public record RecentChange(String time, String id, String user, String license, String changeType, long sequence) {
    }
}
