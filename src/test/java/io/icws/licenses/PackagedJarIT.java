package io.icws.licenses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the packaged jar ({@code target/icws-license-routes.jar}, built by {@code package}) as a separate
 * process, the way an operator runs it: on its embedded defaults (built-in ICWS simulator, embedded Artemis
 * broker), with every data folder moved into a temporary folder so the project's {@code data/} is never
 * touched. Only loopback traffic.
 */
class PackagedJarIT {

    private static final Duration FIRST_EVENT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Pattern SIMULATOR_URL = Pattern.compile("http://127\\.0\\.0\\.1:\\d+");

    /**
     * Exit code of the jar after SIGTERM. The JVM starts its shutdown from the signal with status
     * 128 + 15 = 143; Camel's shutdown hook then stops the context (logging out of ICWS), {@code main.run}
     * returns and the application calls {@code System.exit(0)}, but a {@code System.exit} made while the
     * shutdown hooks run blocks, so the process ends with the signal's status: 143 (observed with
     * OpenJDK 17.0.15). It means "stopped by SIGTERM after a clean shutdown", not "killed by the test":
     * the test never sends SIGKILL unless the jar fails to exit, and then it fails.
     */
    private static final int EXIT_CODE_AFTER_SIGTERM = 143;

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftoverProcesses() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void startsOnDefaultsWritesEventsAndStopsCleanlyOnSigterm() throws Exception {
        Path changes = tmp.resolve("changes");
        Path output = tmp.resolve("jar-output.log");
        Path repoData = baseDir().resolve("data");
        boolean repoDataExistedBefore = Files.exists(repoData);

        Process jar = start(output, output, withTempFolders(List.of()));
        try {
            Path firstEvent = await("first change event in " + changes)
                    .atMost(FIRST_EVENT_TIMEOUT).pollInterval(POLL)
                    .until(() -> firstEventFile(changes), Optional::isPresent)
                    .orElseThrow();

            JsonNode event = JSON.readTree(firstEvent.toFile());
            assertThat(event.path("specversion").asText()).as("specversion of %s", firstEvent).isEqualTo("1.0");
            assertThat(event.path("type").asText()).as("type of %s", firstEvent).startsWith("io.icws.license.");
            assertThat(event.path("data").path("license").asText()).as("data.license of %s", firstEvent).isNotBlank();

            jar.destroy(); // SIGTERM on Linux
            if (!jar.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                jar.destroyForcibly();
                fail("The jar did not exit within " + EXIT_TIMEOUT + " of SIGTERM; output:%n%s", read(output));
            }
            String log = read(output);
            assertThat(jar.exitValue()).as("exit code after SIGTERM; output:%n%s", log)
                    .isEqualTo(EXIT_CODE_AFTER_SIGTERM);
            assertThat(log).contains("Unsubscribed and logged out of ICWS");
            try (Stream<Path> files = Files.list(changes)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .as("temporary files left in %s", changes)
                        .noneMatch(name -> name.startsWith(".writing-"));
            }
            if (!repoDataExistedBefore) {
                assertThat(repoData).as("the project's data folder").doesNotExist();
            }
        } finally {
            stop(jar);
        }
    }

    @Test
    void badSettingStopsStartupWithOneLineNamingTheKey() throws Exception {
        Path stdout = tmp.resolve("stdout.log");
        Path stderr = tmp.resolve("stderr.log");
        Process jar = start(stdout, stderr, withTempFolders(List.of("-Dicws.licenses=BAD/NAME")));
        try {
            if (!jar.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                jar.destroyForcibly();
                fail("The jar did not exit by itself within " + EXIT_TIMEOUT + " on a bad setting; stderr:%n%s",
                        read(stderr));
            }
            String err = read(stderr);
            assertThat(jar.exitValue()).as("exit code; stderr:%n%s", err).isEqualTo(1);
            assertThat(err).contains("Invalid setting icws.licenses");
            assertThat(err.lines().filter(l -> !l.isBlank()))
                    .as("stderr")
                    .singleElement(STRING)
                    .startsWith("ICWS license routes did not start: Invalid setting icws.licenses: ");
        } finally {
            stop(jar);
        }
    }

    @Test
    void simulatorSubcommandPrintsItsUrl() throws Exception {
        Path stderr = tmp.resolve("simulator-stderr.log");
        Process sim = start(null, stderr, List.of("simulator", "--port", "0"));
        try {
            // Drain stdout for the whole life of the process, so a full pipe can never block it.
            List<String> lines = new CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(sim.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "simulator-stdout");
            reader.setDaemon(true);
            reader.start();

            // The command prints the base URL alone on a line (its log line also names it, among other words).
            String url = await("simulator base URL on stdout")
                    .atMost(FIRST_EVENT_TIMEOUT).pollInterval(POLL)
                    .until(() -> lines.stream().map(String::trim)
                            .filter(l -> SIMULATOR_URL.matcher(l).matches()).findFirst(), Optional::isPresent)
                    .orElseThrow();

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> features = http.send(
                    HttpRequest.newBuilder(URI.create(url + "/icws/connection/features"))
                            .timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(features.statusCode()).as("GET %s/icws/connection/features: %s", url, features.body())
                    .isEqualTo(200);
            assertThat(features.body()).contains("messaging");

            sim.destroy(); // SIGTERM
            if (!sim.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                sim.destroyForcibly();
                fail("The simulator did not exit within " + EXIT_TIMEOUT + " of SIGTERM");
            }
        } finally {
            stop(sim);
        }
    }

    // --- helpers ---

    private List<String> withTempFolders(List<String> extra) {
        List<String> args = new ArrayList<>(List.of(
                "-Dicws.notify.file.directory=" + tmp.resolve("changes"),
                "-Dicws.state.directory=" + tmp.resolve("state"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter"),
                "-Dicws.notify.jms.embedded-data-directory=" + tmp.resolve("broker")));
        args.addAll(extra);
        return args;
    }

    /**
     * Starts {@code java [-D...] -jar target/icws-license-routes.jar [command...]} in the project folder.
     * Arguments starting with {@code -D} go before {@code -jar}, the others after the jar.
     * A null {@code stdout} leaves stdout as a pipe the caller must drain.
     */
    private Process start(Path stdout, Path stderr, List<String> args) throws IOException {
        Path base = baseDir();
        Path jarFile = base.resolve("target/icws-license-routes.jar");
        assertThat(jarFile).as("the packaged jar (run mvn package first)").isRegularFile();

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        args.stream().filter(a -> a.startsWith("-D")).forEach(command::add);
        command.add("-jar");
        command.add(jarFile.toString());
        args.stream().filter(a -> !a.startsWith("-D")).forEach(command::add);

        ProcessBuilder pb = new ProcessBuilder(command).directory(base.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ICWS_")); // only the defaults and our -D's
        if (stdout != null && stdout.equals(stderr)) {
            pb.redirectErrorStream(true).redirectOutput(stdout.toFile());
        } else {
            if (stdout != null) {
                pb.redirectOutput(stdout.toFile());
            }
            pb.redirectError(stderr.toFile());
        }
        Process process = pb.start();
        started.add(process);
        return process;
    }

    private static void stop(Process process) throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The first complete event file: {@code *.json}, not a {@code .writing-*} file still being written. */
    private static Optional<Path> firstEventFile(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> {
                String name = p.getFileName().toString();
                return name.endsWith(".json") && !name.startsWith(".");
            }).sorted().findFirst();
        }
    }

    private static Path baseDir() {
        String basedir = System.getProperty("basedir");
        return (basedir != null ? Path.of(basedir) : Path.of("")).toAbsolutePath();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
