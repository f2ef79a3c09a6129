package io.icws.licenses.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the benchmark does, from system properties ({@code mvn -Pbench verify -Dbench.latency.changes=200 ...});
 * every value has a default that keeps the whole run within about ten minutes on two cores.
 */
record BenchSettings(
        Set<String> only,
        int latencyChanges,
        int latencyWarmup,
        int spacingMinMs,
        int spacingMaxMs,
        Duration idleWindow,
        List<Integer> footprintConnections,
        Duration footprintSettle,
        Duration footprintWindow,
        String footprintHeap,
        Duration keepAlive,
        int keepAliveConnections,
        Duration keepAliveSettle,
        Duration keepAliveBaseline,
        int scaleConnections,
        String scaleHeap,
        Duration scaleTimeout,
        int burstChanges,
        int burstPollMs,
        int burstRepeats,
        int burstJmsRepeats,
        Duration burstTimeout,
        List<Integer> faninConnections,
        int faninRounds,
        int startupRuns,
        int takeoverRuns,
        Duration startTimeout,
        Duration deliveryTimeout) {

    static final String SECTIONS = "latency,footprint,keepalive,scale,burst,fanin,startup,takeover,jdbc";

    static BenchSettings fromSystemProperties() {
        return new BenchSettings(
                Arrays.stream(text("bench.only", SECTIONS).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .collect(Collectors.toUnmodifiableSet()),
                integer("bench.latency.changes", 100),
                integer("bench.latency.warmup", 20),
                integer("bench.latency.spacing.min", 20),
                integer("bench.latency.spacing.max", 80),
                seconds("bench.idle.window", 30),
                Arrays.stream(text("bench.footprint.connections", "1,50,200").split(",")).map(String::trim)
                        .filter(s -> !s.isEmpty()).map(Integer::valueOf).toList(),
                seconds("bench.footprint.settle", 10),
                seconds("bench.footprint.window", 20),
                text("bench.footprint.heap", "-Xmx256m"),
                duration("bench.keepalive", "2s"),
                integer("bench.keepalive.connections", 200),
                seconds("bench.keepalive.settle", 120),
                duration("bench.keepalive.baseline", "30s"),
                integer("bench.scale.connections", 1000),
                text("bench.scale.heap", "-Xmx384m"),
                seconds("bench.scale.timeout", 300),
                integer("bench.burst.changes", 10_000),
                integer("bench.burst.poll", 250),
                integer("bench.burst.repeats", 3),
                integer("bench.burst.jms.repeats", 1),
                seconds("bench.burst.timeout", 240),
                Arrays.stream(text("bench.fanin.connections", "200").split(",")).map(String::trim)
                        .filter(s -> !s.isEmpty()).map(Integer::valueOf).toList(),
                integer("bench.fanin.rounds", 3),
                integer("bench.startup.runs", 3),
                integer("bench.takeover.runs", 1),
                seconds("bench.start.timeout", 120),
                seconds("bench.delivery.timeout", 60));
    }

    boolean runs(String section) {
        return only.contains(section);
    }

    /** The settings as printed next to the figures. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench.only", String.join(",", only.stream().sorted().toList()));
        m.put("bench.latency.changes", latencyChanges);
        m.put("bench.latency.warmup", latencyWarmup);
        m.put("bench.latency.spacing.min (ms)", spacingMinMs);
        m.put("bench.latency.spacing.max (ms)", spacingMaxMs);
        m.put("bench.idle.window (s)", idleWindow.toSeconds());
        m.put("bench.footprint.connections", footprintConnections.stream().map(String::valueOf)
                .collect(Collectors.joining(",")));
        m.put("bench.footprint.settle (s)", footprintSettle.toSeconds());
        m.put("bench.footprint.window (s)", footprintWindow.toSeconds());
        m.put("bench.footprint.heap", footprintHeap);
        m.put("bench.keepalive (simulator keep-alive period, keepalive row)", keepAlive.toMillis() + " ms");
        m.put("bench.keepalive.connections", keepAliveConnections);
        m.put("bench.keepalive.settle (s)", keepAliveSettle.toSeconds());
        m.put("bench.keepalive.baseline (second run's keep-alive period; 0: none)", keepAliveBaseline.toMillis() + " ms");
        m.put("bench.scale.connections", scaleConnections);
        m.put("bench.scale.heap", scaleHeap);
        m.put("bench.scale.timeout (s)", scaleTimeout.toSeconds());
        m.put("bench.burst.changes", burstChanges);
        m.put("bench.burst.poll (ms)", burstPollMs);
        m.put("bench.burst.repeats (jar files-only, loop)", burstRepeats);
        m.put("bench.burst.jms.repeats", burstJmsRepeats);
        m.put("bench.burst.timeout (s)", burstTimeout.toSeconds());
        m.put("bench.fanin.connections", faninConnections.stream().map(String::valueOf)
                .collect(Collectors.joining(",")));
        m.put("bench.fanin.rounds (first cold)", faninRounds);
        m.put("bench.startup.runs", startupRuns);
        m.put("bench.takeover.runs (per way of stopping)", takeoverRuns);
        m.put("bench.start.timeout (s)", startTimeout.toSeconds());
        m.put("bench.delivery.timeout (s)", deliveryTimeout.toSeconds());
        return m;
    }

    private static String text(String key, String def) {
        String v = System.getProperty(key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    private static int integer(String key, int def) {
        return Integer.parseInt(text(key, String.valueOf(def)));
    }

    /** {@code 2s}, {@code 500ms}, or a number of milliseconds. */
    private static Duration duration(String key, String def) {
        String v = text(key, def).toLowerCase(java.util.Locale.ROOT);
        if (v.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
        }
        if (v.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000));
        }
        return Duration.ofMillis(Long.parseLong(v));
    }

    private static Duration seconds(String key, int def) {
        return Duration.ofSeconds(Long.parseLong(text(key, String.valueOf(def))));
    }
}
