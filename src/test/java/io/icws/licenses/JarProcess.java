package io.icws.licenses;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar ({@code target/icws-license-routes.jar}, built by {@code package}) run as a separate process,
 * the way an operator runs it, with its output in a file. Environment variables {@code ICWS_*} of the build are
 * removed, so only the jar's defaults and the given {@code -D} settings apply.
 */
final class JarProcess implements AutoCloseable {

    /**
     * Exit code of the jar after SIGTERM: the JVM starts its shutdown from the signal with status 128 + 15; the
     * shutdown hooks (Camel stopping, logging out) run, and the process ends with the signal's status.
     */
    static final int EXIT_CODE_AFTER_SIGTERM = 143;

    final Process process;
    final Path output;

    private JarProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /**
     * Starts {@code java [-D...] -jar target/icws-license-routes.jar [command...]} in the given folder.
     * Arguments starting with {@code -D} go before {@code -jar}, the others after the jar.
     */
    static JarProcess start(Path workingDirectory, Path output, List<String> args) throws IOException {
        Path jar = baseDir().resolve("target/icws-license-routes.jar");
        assertThat(jar).as("the packaged jar (run mvn package first)").isRegularFile();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        args.stream().filter(a -> a.startsWith("-D") || a.startsWith("-X")).forEach(command::add);
        command.add("-jar");
        command.add(jar.toString());
        args.stream().filter(a -> !a.startsWith("-D") && !a.startsWith("-X")).forEach(command::add);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDirectory.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ICWS_"));
        return new JarProcess(pb.start(), output);
    }

    /** Waits for the process to end; false after the timeout. */
    boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGTERM, then the time it took to end (or null if it did not end within the limit). */
    Duration terminate(Duration limit) throws InterruptedException {
        long start = System.nanoTime();
        process.destroy();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            return null;
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** SIGKILL: no shutdown hook runs, as when the OOM killer or a lost node stops it. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    String log() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    static Path baseDir() {
        String basedir = System.getProperty("basedir");
        return (basedir != null ? Path.of(basedir) : Path.of("")).toAbsolutePath();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The complete {@code *.json} files of a folder (not the {@code .writing-*} ones still being written). */
    static List<Path> jsonFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json")
                    && !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    static Optional<Path> firstJsonFile(Path dir) throws IOException {
        return jsonFiles(dir).stream().findFirst();
    }
}
