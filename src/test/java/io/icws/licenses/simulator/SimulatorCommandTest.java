package io.icws.licenses.simulator;

import static io.icws.licenses.simulator.IcwsTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SimulatorCommandTest {

    @TempDir
    Path dir;

    private Thread runner;
    private final AtomicInteger exit = new AtomicInteger(-1);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Starts the command in a thread and returns the URL it prints. */
    private URI start(String... args) {
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        runner = new Thread(() -> exit.set(SimulatorCommand.run(args, o, e)), "simulator-command");
        runner.setDaemon(true);
        runner.start();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> out.toString(StandardCharsets.UTF_8).contains("\n") || exit.get() >= 0);
        assertThat(exit.get()).as("still running; err: %s", err).isEqualTo(-1);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).matches("http://127\\.0\\.0\\.1:\\d+\\R");
        return URI.create(printed.strip());
    }

    private int runToEnd(String... args) {
        return SimulatorCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (runner != null) {
            runner.interrupt();
            runner.join(5_000);
            assertThat(runner.isAlive()).isFalse();
            assertThat(exit.get()).isZero();
        }
    }

    @Test
    void withPort0ItPrintsOneUrlLineYouCanLogInAgainst() {
        URI base = start("--port", "0");

        assertThat(base.getPort()).isPositive().isNotEqualTo(SimulatorCommand.DEFAULT_PORT);
        IcwsTestClient c = new IcwsTestClient(base);
        IcwsTestClient.Login l = c.login("agent1", "secret");
        c.subscribe(l, "I3_ACCESS_CLIENT");
        assertThat(c.poll(l).get(0).get("licenseAssignedStatusList").get(0).get("isAssigned").asBoolean()).isTrue();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"300s", "5m", "1500ms", "300"})
    void sessionTimeoutAcceptsSecondsMinutesMillisAndPlainSeconds(String timeout) {
        URI base = start("--port", "0", "--session-timeout", timeout);

        assertThat(new IcwsTestClient(base).login().sessionId()).isNotBlank();
    }

    @Test
    void shortSessionTimeoutFromTheCommandLineApplies() {
        IcwsTestClient c = new IcwsTestClient(start("--port", "0", "--session-timeout", "300ms"));
        IcwsTestClient.Login l = c.login();

        await().atMost(Duration.ofSeconds(3)).pollDelay(Duration.ofMillis(400)).pollInterval(Duration.ofMillis(100))
                .until(() -> c.authed(l, "POST", "messaging/heartbeat", null).statusCode() == 401);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown option         | --verbose                  | --verbose",
        "port not a number      | --port,eighty              | --port",
        "port out of range      | --port,70000               | --port",
        "port without value     | --port                     | --port",
        "timeout unparsable     | --session-timeout,soon     | --session-timeout",
        "timeout zero           | --session-timeout,0s       | --session-timeout",
        "users file missing     | --users,/nonexistent/u.yaml | --users",
        "host empty             | --host,                     | --host",
        "trust store without tls | --trust-store,t.p12        | --trust-store",
        "trust store no value   | --tls,--trust-store         | --trust-store",
        "trust store no dir     | --tls,--trust-store,/nonexistent/t.p12 | --trust-store",
        "trust store a dir      | --tls,--trust-store,.       | --trust-store",
        "password without store | --tls,--trust-store-password,pw | --trust-store-password",
        "password empty         | --tls,--trust-store,t.p12,--trust-store-password, | --trust-store-password",
        "keep-alive unparsable  | --keep-alive,often         | --keep-alive",
        "keep-alive zero        | --keep-alive,0ms           | --keep-alive",
        "messaging version 0    | --messaging-version,0      | --messaging-version",
        "messaging version text | --messaging-version,two    | --messaging-version",
        "messaging no value     | --messaging-version        | --messaging-version",
    })
    void badOptionExitsWith2AndOneErrorLineNamingTheOption(String problem, String args, String option) {
        String[] argv = args.split(",", -1); // a trailing comma gives an empty value

        int code = runToEnd(argv);

        assertThat(code).isEqualTo(2);
        String printed = err.toString(StandardCharsets.UTF_8);
        assertThat(printed.lines().count()).isEqualTo(1);
        assertThat(printed).contains(option);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void helpPrintsUsageAndExits0() {
        assertThat(runToEnd("--help")).isZero();

        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--port", "--host", "--users", "--session-timeout",
                "--tls", "--trust-store", "--trust-store-password", "--keep-alive", "--messaging-version");
    }

    @Test
    void keepAliveFromTheCommandLineApplies() throws Exception {
        IcwsTestClient c = new IcwsTestClient(start("--port", "0", "--keep-alive", "100ms"));
        IcwsTestClient.Login l = c.login();

        try (IcwsTestClient.EventStream stream = c.openStream(l)) {
            for (int i = 0; i < 3; i++) { // the default (5 s) would miss the first deadline
                assertThat(stream.nextLine(Duration.ofSeconds(2))).isEqualTo(": keep-alive");
            }
        }
    }

    @Test
    void messagingVersionFromTheCommandLineIsReportedAndBelow2RefusesStreams() {
        IcwsTestClient c = new IcwsTestClient(start("--port", "0", "--messaging-version", "1"));

        assertThat(json(c.send("GET", "/icws/connection/features", null).body()).get("featureInfoList").get(0).toString())
                .isEqualTo("{\"featureId\":\"messaging\",\"version\":1}");
        assertThat(c.streamRequest(c.login()).statusCode()).isEqualTo(406);
    }

    @Test
    void usersFromAYamlFile() throws Exception {
        Path users = Files.writeString(dir.resolve("users.yaml"), """
                users:
                  - userId: yamluser
                    password: y-pass
                    licenses:
                      I3_FEATURE_ICWS_SDK: true
                      I3_ACCESS_CLIENT: false
                """);
        IcwsTestClient c = new IcwsTestClient(start("--port", "0", "--users", users.toString()));

        assertThat(c.loginRaw(null, IcwsTestClient.loginBody("agent1", "secret")).statusCode()).isEqualTo(400);
        IcwsTestClient.Login l = c.login("yamluser", "y-pass");
        c.subscribe(l, "I3_ACCESS_CLIENT", "I3_FEATURE_ICWS_SDK");
        assertThat(c.poll(l).get(0).get("licenseAssignedStatusList").toString()).isEqualTo(
                "[{\"name\":\"I3_ACCESS_CLIENT\",\"isAssigned\":false},{\"name\":\"I3_FEATURE_ICWS_SDK\",\"isAssigned\":true}]");
    }

    @Test
    void usersFromAJsonFile() throws Exception {
        Path users = Files.writeString(dir.resolve("users.json"), """
                {"users": [
                  {"userId": "jsonuser", "password": "j-pass", "licenses": {"I3_ACCESS_CLIENT": true}},
                  {"userId": "other", "password": "o-pass"}
                ]}
                """);
        IcwsTestClient c = new IcwsTestClient(start("--port", "0", "--users", users.toString()));

        IcwsTestClient.Login l = c.login("jsonuser", "j-pass");
        c.subscribe(l, "I3_ACCESS_CLIENT");
        JsonNode status = c.poll(l).get(0).get("licenseAssignedStatusList").get(0);
        assertThat(status.get("isAssigned").asBoolean()).isTrue();
        assertThat(c.login("other", "o-pass").sessionId()).isNotBlank();
    }

    @Test
    void theExampleUsersFileLoads() {
        IcwsTestClient c = new IcwsTestClient(start("--port", "0", "--users", "config/simulator-users.example.yaml"));

        IcwsTestClient.Login l = c.login("supervisor1", "change-me");
        c.subscribe(l, "I3_FEATURE_ICWS_SDK");
        assertThat(c.poll(l).get(0).get("licenseAssignedStatusList").get(0).get("isAssigned").asBoolean()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bad.yaml  | users: [ {userId: a",
        "bad.json  | {\"users\": [}",
        "nopw.yaml | 'users: [{userId: a}]'",
        "dup.yaml  | 'users: [{userId: a, password: p}, {userId: a, password: q}]'",
        "lic.yaml  | 'users: [{userId: a, password: p, licenses: {I3_ACCESS_CLIENT: maybe}}]'",
    })
    void invalidUsersFileExitsWith2NamingTheOption(String name, String content) throws Exception {
        Path users = Files.writeString(dir.resolve(name), content);

        assertThat(runToEnd("--port", "0", "--users", users.toString())).isEqualTo(2);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--users").hasLineCount(1);
    }

    @Test
    void errorBodyOfTheRunningCommandIsJson() {
        IcwsTestClient c = new IcwsTestClient(start("--port", "0"));

        assertThat(json(c.send("GET", "/nothing", null).body()).get("errorId").asText()).isEqualTo("error.request.notFound");
    }
}
