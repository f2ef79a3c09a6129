package io.icws.licenses.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What Linux says about a process: CPU time from {@code /proc/<pid>/stat} (utime + stime, in clock ticks),
 * resident memory and thread count from {@code /proc/<pid>/status}.
 */
final class ProcStats {

    private static volatile long clockTicks;

    private ProcStats() {
    }

    /**
     * One reading: the process's CPU ticks, this (benchmark) JVM's, and the whole machine's busy ticks (all cores,
     * from {@code /proc/stat}), to tell what other processes took meanwhile.
     */
    record Sample(long nanos, long cpuTicks, long benchTicks, long machineBusyTicks) {
    }

    static Sample sample(long pid) {
        return new Sample(System.nanoTime(), cpuTicks(pid), cpuTicks(ProcessHandle.current().pid()), machineBusyTicks());
    }

    /** CPU of every other process (not the one measured, not the benchmark's JVM), as % of one core. */
    static double otherPercent(Sample from, Sample to) {
        long other = (to.machineBusyTicks - from.machineBusyTicks) - (to.cpuTicks - from.cpuTicks)
                - (to.benchTicks - from.benchTicks);
        return Math.max(0, 100.0 * other / (double) clockTicks() / ((to.nanos - from.nanos) / 1e9));
    }

    /** CPU of the benchmark's own JVM (simulator, watchers, consumers), as % of one core. */
    static double benchPercent(Sample from, Sample to) {
        return 100.0 * (to.benchTicks - from.benchTicks) / (double) clockTicks() / ((to.nanos - from.nanos) / 1e9);
    }

    /** Busy ticks of all cores: user, nice, system, irq, softirq, steal (not idle, not iowait). */
    static long machineBusyTicks() {
        String first = read(Path.of("/proc/stat")).lines().findFirst().orElseThrow();
        String[] f = first.trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
            busy += i < f.length ? Long.parseLong(f[i]) : 0;
        }
        return busy;
    }

    /** The first three fields of /proc/loadavg. */
    static String loadAverage() {
        String[] f = read(Path.of("/proc/loadavg")).trim().split("\\s+");
        return f[0] + " " + f[1] + " " + f[2];
    }

    /** CPU used between two readings, as % of one core. */
    static double cpuPercent(Sample from, Sample to) {
        double cpuSeconds = (to.cpuTicks - from.cpuTicks) / (double) clockTicks();
        double wallSeconds = (to.nanos - from.nanos) / 1e9;
        return 100.0 * cpuSeconds / wallSeconds;
    }

    /** CPU seconds between two readings. */
    static double cpuSeconds(Sample from, Sample to) {
        return (to.cpuTicks - from.cpuTicks) / (double) clockTicks();
    }

    /** utime + stime of the process (all its threads), in clock ticks. */
    static long cpuTicks(long pid) {
        String stat = read(Path.of("/proc", String.valueOf(pid), "stat"));
        // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // f[0] is field 3 (state); utime is field 14, stime field 15
        return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
    }

    /** VmRSS in KiB. */
    static long rssKiB(long pid) {
        return statusValue(pid, "VmRSS");
    }

    /** VmHWM (peak resident set) in KiB. */
    static long peakRssKiB(long pid) {
        return statusValue(pid, "VmHWM");
    }

    static long threads(long pid) {
        return statusValue(pid, "Threads");
    }

    private static long statusValue(long pid, String key) {
        for (String line : read(Path.of("/proc", String.valueOf(pid), "status")).split("\n")) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException(key + " not in /proc/" + pid + "/status");
    }

    /** Clock ticks per second ({@code getconf CLK_TCK}; 100 if that cannot be run). */
    static long clockTicks() {
        long t = clockTicks;
        if (t == 0) {
            t = 100;
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    t = Long.parseLong(out);
                }
            } catch (IOException | NumberFormatException e) {
                // keep 100, the Linux default
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            clockTicks = t;
        }
        return t;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
