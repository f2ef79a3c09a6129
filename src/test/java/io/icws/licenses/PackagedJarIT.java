package io.icws.licenses;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.awaitility.Awaitility.await;

/**
 * Runs the packaged jar as a separate process, the way an operator runs it: on its embedded defaults (built-in
 * ICWS simulator, embedded Artemis broker), from the project folder and — as a user who copies the jar does —
 * from an empty folder, where only what is packaged in the jar (routes, settings) can be used. Only loopback
 * traffic, no fixed port.
 */
class PackagedJarIT {

    private static final Duration FIRST_EVENT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern SIMULATOR_URL = Pattern.compile("http://127\\.0\\.0\\.1:\\d+");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final List<JarProcess> started = new ArrayList<>();

    @AfterEach
    void killLeftoverProcesses() throws InterruptedException {
        for (JarProcess p : started) {
            p.close();
        }
    }

    private JarProcess start(Path workingDirectory, String name, List<String> args) throws IOException {
        JarProcess jar = JarProcess.start(workingDirectory, tmp.resolve(name + ".log"), args);
        started.add(jar);
        return jar;
    }

    /** Ports chosen now, so that no fixed port of the jar's defaults is needed. */
    private static List<String> freePorts() throws IOException {
        return List.of("-Dicws.health.port=" + JarProcess.freePort(),
                "-Dicws.notify.jms.embedded-port=" + JarProcess.freePort());
    }

    @Test
    void startsOnDefaultsInTheProjectFolderWritesEventsAndStopsCleanlyOnSigterm() throws Exception {
        Path changes = tmp.resolve("changes");
        Path repoData = JarProcess.baseDir().resolve("data");
        boolean repoDataExistedBefore = Files.exists(repoData);
        List<String> args = new ArrayList<>(List.of(
                "-Dicws.notify.file.directory=" + changes,
                "-Dicws.state.directory=" + tmp.resolve("state"),
                "-Dicws.outbox.directory=" + tmp.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + tmp.resolve("dead-letter"),
                "-Dicws.notify.jms.embedded-data-directory=" + tmp.resolve("broker")));
        int healthPort = JarProcess.freePort();
        args.add("-Dicws.health.port=" + healthPort);
        args.add("-Dicws.notify.jms.embedded-port=" + JarProcess.freePort());
        JarProcess jar = start(JarProcess.baseDir(), "project", args);

        Path firstEvent = await("first change event in " + changes).atMost(FIRST_EVENT_TIMEOUT)
                .until(() -> JarProcess.firstJsonFile(changes), Optional::isPresent).orElseThrow();
        JsonNode event = JSON.readTree(firstEvent.toFile());
        assertThat(event.path("specversion").asText()).isEqualTo("1.0");
        assertThat(event.path("type").asText()).startsWith("io.icws.license.");

        // the start-up summary: a handful of lines a person reads in seconds, the health URL that answers,
        // nothing unresolved, no secret, nothing masked that looks set
        await().atMost(Duration.ofSeconds(10)).until(() -> jar.log().contains("ICWS license routes running"));
        // up to the first line of the changes logger (logback abbreviates it to i.i.licenses.changes)
        String startup = jar.log().lines().takeWhile(l -> !l.contains(".licenses.changes "))
                .reduce("", (a, b) -> a + b + "\n");
        assertThat(startup.lines().count()).as("lines before the first change:%n%s", startup).isLessThanOrEqualTo(20);
        assertThat(startup).contains("connection default: agent1 at the built-in simulator")
                .contains("licenses I3_ACCESS_CLIENT, I3_LICENSE_BASIC_STATION, I3_ACCESS_FEEDBACK")
                .contains("file -> ").contains("jms -> icws.license.changes")
                .contains("Health: http://127.0.0.1:" + healthPort + "/observe/health")
                .doesNotContain("{{").doesNotContain("xxxxxx").doesNotContain("secret").doesNotContain("0.0.0.0");
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + healthPort + "/observe/health")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.body()).contains("icws-default");

        Duration took = jar.terminate(EXIT_TIMEOUT);
        String log = jar.log();
        assertThat(took).as("exit after SIGTERM; output:%n%s", log).isNotNull();
        assertThat(jar.process.exitValue()).isEqualTo(JarProcess.EXIT_CODE_AFTER_SIGTERM);
        assertThat(log).contains("Unsubscribed and logged out of ICWS");
        try (Stream<Path> files = Files.list(changes)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith(".writing-"));
        }
        if (!repoDataExistedBefore) {
            assertThat(repoData).as("the project's data folder").doesNotExist();
        }
    }

    @Test
    void runsFromAnEmptyFolderOnWhatIsPackagedInTheJar() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("somewhere-else"));
        JarProcess jar = start(empty, "empty-folder", freePorts());

        Path changes = empty.resolve("data/changes");
        await("first change event in " + changes).atMost(FIRST_EVENT_TIMEOUT)
                .until(() -> JarProcess.firstJsonFile(changes), Optional::isPresent);
        // the packaged routes ran (there is no routes/ folder here), and the defaults put every folder under data/
        assertThat(empty.resolve("routes")).doesNotExist();
        assertThat(empty.resolve("data/state")).isDirectory();
        assertThat(empty.resolve("data/outbox")).isDirectory();
        assertThat(jar.log()).contains("ICWS license routes running: 1 connection(s)");

        assertThat(jar.terminate(EXIT_TIMEOUT)).as("exit after SIGTERM; output:%n%s", jar.log()).isNotNull();
    }

    @Test
    void aTakenHealthPortStopsStartupWithOneLineNamingThePortAndTheSetting() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            JarProcess jar = start(tmp, "port-taken", List.of("-Dicws.health.port=" + taken.getLocalPort(),
                    "-Dicws.notify.jms.embedded-port=0", "-Dicws.state.directory=" + tmp.resolve("state")));

            if (!jar.waitFor(EXIT_TIMEOUT)) {
                fail("The jar did not exit by itself within " + EXIT_TIMEOUT + " with its health port taken; output:%n%s",
                        jar.log());
            }
            assertThat(jar.process.exitValue()).isEqualTo(1);
            assertThat(jar.log().lines().filter(l -> !l.isBlank())).singleElement(STRING)
                    .startsWith("ICWS license routes did not start: Invalid setting icws.health.port: port "
                            + taken.getLocalPort() + " on 127.0.0.1 is taken");
        }
    }

    @Test
    void badSettingStopsStartupWithOneLineNamingTheKey() throws Exception {
        List<String> args = new ArrayList<>(List.of("-Dicws.licenses=BAD/NAME",
                "-Dicws.state.directory=" + tmp.resolve("state")));
        args.addAll(freePorts());
        JarProcess jar = start(tmp, "bad-setting", args);

        if (!jar.waitFor(EXIT_TIMEOUT)) {
            fail("The jar did not exit by itself within " + EXIT_TIMEOUT + " on a bad setting; output:%n%s", jar.log());
        }
        String log = jar.log();
        assertThat(jar.process.exitValue()).as("exit code; output:%n%s", log).isEqualTo(1);
        assertThat(log.lines().filter(l -> l.contains("Invalid setting")))
                .singleElement(STRING)
                .startsWith("ICWS license routes did not start: Invalid setting icws.licenses: ");
        assertThat(log).doesNotContain("SIGTERM").doesNotContain("\tat ");
    }

    @Test
    void simulatorSubcommandPrintsItsUrl() throws Exception {
        Path jarFile = JarProcess.baseDir().resolve("target/icws-license-routes.jar");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jarFile.toString(), "simulator", "--port", "0")
                .redirectError(tmp.resolve("simulator-stderr.log").toFile());
        Process sim = pb.start();
        try {
            List<String> lines = stdoutLines(sim, "simulator-stdout");

            String url = await("simulator base URL on stdout").atMost(FIRST_EVENT_TIMEOUT)
                    .until(() -> lines.stream().map(String::trim)
                            .filter(l -> SIMULATOR_URL.matcher(l).matches()).findFirst(), Optional::isPresent)
                    .orElseThrow();

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> features = http.send(HttpRequest.newBuilder(URI.create(url + "/icws/connection/features"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(features.statusCode()).isEqualTo(200);
            assertThat(features.body()).contains("messaging");

            sim.destroy();
            assertThat(sim.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        } finally {
            sim.destroyForcibly();
        }
    }

    /**
     * The README's run command goes through {@code bin/icws-license-routes}: it starts the packaged jar with the
     * arguments it was given and the JVM options of {@code JAVA_OPTS} (the README's way to the JIT's quick compiler
     * only, {@code JAVA_OPTS=-XX:TieredStopAtLevel=1}). The JVM prints its final flags ({@code -XX:+PrintFlagsFinal}):
     * that option is set from the command line; the simulator subcommand shows that the arguments reached the jar.
     * ({@code java} on the PATH is this JVM's.)
     */
    @Test
    void theRunCommandsScriptStartsTheJarWithItsArgumentsAndJavaOpts() throws Exception {
        Path script = JarProcess.baseDir().resolve("bin/icws-license-routes");
        ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), "simulator", "--port", "0")
                .redirectError(tmp.resolve("script-stderr.log").toFile());
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + java.io.File.pathSeparator
                + pb.environment().getOrDefault("PATH", ""));
        pb.environment().put("JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+PrintFlagsFinal");
        Process sim = pb.start();
        try {
            List<String> lines = stdoutLines(sim, "script-stdout");

            await("simulator base URL on stdout").atMost(FIRST_EVENT_TIMEOUT)
                    .until(() -> lines.stream().map(String::trim).anyMatch(l -> SIMULATOR_URL.matcher(l).matches()));
            assertThat(lines).filteredOn(l -> l.trim().startsWith("intx TieredStopAtLevel ")).singleElement(STRING)
                    .matches("\\s*intx TieredStopAtLevel\\s+= 1\\s+\\{.*\\} \\{command line\\}");
            sim.destroy();
            assertThat(sim.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        } finally {
            sim.destroyForcibly();
        }
    }

    /** The process's standard output, line by line as it comes (read on a daemon thread). */
    private static List<String> stdoutLines(Process process, String threadName) {
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, threadName);
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
