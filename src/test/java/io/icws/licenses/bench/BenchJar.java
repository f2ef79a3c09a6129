package io.icws.licenses.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The packaged jar ({@code target/icws-license-routes.jar}) run as its own process, in its own folder, its output
 * (stdout and stderr) in a log file kept under {@code target/bench/logs/}. Every jar started is killed when the
 * benchmark ends, also on failure (and by a shutdown hook if the benchmark's JVM itself is stopped).
 * Environment variables {@code ICWS_*} of the build are removed, so only the jar's defaults and the given settings
 * apply.
 */
final class BenchJar implements AutoCloseable {

    private static final Set<BenchJar> LIVE = ConcurrentHashMap.newKeySet();

    /** The jar every run starts: the packaged one, or the private copy {@link #usePrivateCopy()} made. */
    private static volatile Path jar = baseDir().resolve("target/icws-license-routes.jar");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(j -> j.process.destroyForcibly()),
                "bench-jar-killer"));
    }

    final String name;
    final Process process;
    final Path log;
    final Path directory;
    /** Wall clock just before the process was started (the log's time stamps are compared with it). */
    final Instant startedAt;
    /** {@link System#nanoTime()} just before the process was started. */
    final long startedNanos;
    private volatile boolean stopRequested;

    private BenchJar(String name, Process process, Path log, Path directory, Instant startedAt, long startedNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.directory = directory;
        this.startedAt = startedAt;
        this.startedNanos = startedNanos;
    }

    /**
     * Starts {@code java <jvmArgs> -jar target/icws-license-routes.jar} in {@code directory}, output to {@code log};
     * {@code -Dbench.jar.jvm-args} adds options to every jar's command line.
     */
    static BenchJar start(String name, Path directory, Path log, List<String> jvmArgs) throws IOException {
        Path jar = BenchJar.jar;
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the packaged jar " + jar + " is missing: run mvn -Pbench verify");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // -Dbench.jar.jvm-args="…": more options for every jar, e.g. a flight recording ({name} is the run's name)
        String extra = System.getProperty("bench.jar.jvm-args", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.replace("{name}", name).split("\\s+")));
        }
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(jar.toString());
        Files.createDirectories(log.getParent());
        Files.writeString(log, "# bench: " + String.join(" ", command) + System.lineSeparator(),
                StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("ICWS_"));
        Instant startedAt = Instant.now();
        long startedNanos = System.nanoTime();
        BenchJar started = new BenchJar(name, pb.start(), log, directory, startedAt, startedNanos);
        LIVE.add(started);
        return started;
    }

    long pid() {
        return process.pid();
    }

    /**
     * Throws if the process has ended although the benchmark did not stop it: {@link Killed} when a signal ended
     * it (exit code 143 = SIGTERM, 137 = SIGKILL: something outside the benchmark), else IllegalStateException.
     */
    void checkAlive() {
        if (process.isAlive() || stopRequested) {
            return;
        }
        int code = process.exitValue();
        if (code == 143 || code == 137) {
            throw new Killed(this + " was ended by " + (code == 143 ? "SIGTERM" : "SIGKILL")
                    + " from outside the benchmark (exit code " + code + ", noticed at " + Instant.now() + ")");
        }
        throw new IllegalStateException(this + " ended by itself (exit code " + code + ")");
    }

    /** The jar was ended by a signal the benchmark did not send. */
    static final class Killed extends RuntimeException {
        Killed(String message) {
            super(message);
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The output so far, line by line. */
    List<String> lines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines holding the text, in order. */
    List<String> linesWith(String text) {
        return lines().stream().filter(l -> l.contains(text)).toList();
    }

    long count(String text) {
        return linesWith(text).size();
    }

    /**
     * Time from the process start to the moment the log says it wrote this line (the log's {@code HH:mm:ss.SSS}
     * stamp, millisecond resolution, same clock and zone as this JVM).
     */
    Duration sinceStart(String line) {
        if (line.length() < 12) {
            throw new IllegalArgumentException("no time stamp in: " + line);
        }
        LocalTime t;
        try {
            t = LocalTime.parse(line.substring(0, 12));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("no time stamp in: " + line, e);
        }
        ZoneId zone = ZoneId.systemDefault();
        LocalDate day = LocalDate.ofInstant(startedAt, zone);
        Instant at = t.atDate(day).atZone(zone).toInstant();
        if (at.isBefore(startedAt.minus(Duration.ofHours(12)))) {
            at = t.atDate(day.plusDays(1)).atZone(zone).toInstant(); // the run crossed midnight
        }
        return Duration.between(startedAt, at);
    }

    /** SIGTERM; the time it took to end, or null when it had to be killed after the limit. */
    Duration stop(Duration limit) throws InterruptedException {
        if (!process.isAlive()) {
            LIVE.remove(this);
            return Duration.ZERO;
        }
        long t0 = System.nanoTime();
        stopRequested = true;
        process.destroy();
        boolean ended = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (!ended) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        LIVE.remove(this);
        return ended ? took : null;
    }

    @Override
    public void close() throws InterruptedException {
        stopRequested = true;
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        LIVE.remove(this);
    }

    static void killAll() {
        for (BenchJar j : List.copyOf(LIVE)) {
            try {
                j.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Copies the packaged jar and its {@code lib/} folder (the manifest's Class-Path) into a temporary folder and
     * runs that copy from now on: a build running meanwhile in the same project cannot replace the jar under a run.
     *
     * @return the folder of the copy (delete it at the end)
     */
    static Path usePrivateCopy() throws IOException {
        Path packaged = baseDir().resolve("target/icws-license-routes.jar");
        Path lib = baseDir().resolve("target/lib");
        if (!Files.isRegularFile(packaged) || !Files.isDirectory(lib)) {
            throw new IllegalStateException("the packaged jar " + packaged + " or " + lib + " is missing: run mvn -Pbench verify");
        }
        Path copy = Files.createTempDirectory("icws-bench-jar-");
        Files.copy(packaged, copy.resolve(packaged.getFileName()));
        Files.createDirectories(copy.resolve("lib"));
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path j : jars.toList()) {
                Files.copy(j, copy.resolve("lib").resolve(j.getFileName()));
            }
        }
        jar = copy.resolve(packaged.getFileName());
        return copy;
    }

    static Path jar() {
        return jar;
    }

    static Path baseDir() {
        String basedir = System.getProperty("basedir");
        return (basedir != null ? Path.of(basedir) : Path.of("")).toAbsolutePath();
    }

    /** A free TCP port on 127.0.0.1, chosen now. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Deletes a folder and everything in it; best effort. */
    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return "jar " + name + " (pid " + process.pid() + ", log " + log + ")";
    }
}
