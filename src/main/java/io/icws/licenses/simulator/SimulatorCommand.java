package io.icws.licenses.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.slf4j.LoggerFactory;

/**
 * Command line for the {@link IcwsSimulator}.
 *
 * <pre>
 * java -cp ... io.icws.licenses.simulator.SimulatorCommand [--port N] [--host H] [--users FILE]
 *                                                       [--session-timeout DURATION] [--keep-alive DURATION]
 *                                                       [--messaging-version N]
 *                                                       [--tls [--trust-store FILE [--trust-store-password PW]]]
 *                                                       [--flat-license-messages]
 *                                                       [--help]
 * </pre>
 *
 * <ul>
 *   <li>{@code --port N}: port to listen on (default 18018; 0 picks a free port)</li>
 *   <li>{@code --host H}: address to bind (default 127.0.0.1)</li>
 *   <li>{@code --users FILE}: the users, as JSON ({@code .json}) or YAML ({@code .yaml}/{@code .yml});
 *       default: the demo user {@code agent1} / {@code secret}</li>
 *   <li>{@code --session-timeout D}: idle time after which a session is dropped: {@code 300s}, {@code 5m},
 *       {@code 1500ms} or plain seconds (default 300s)</li>
 *   <li>{@code --keep-alive D}: period of the {@code : keep-alive} comment on event streams, same format
 *       (default 5s)</li>
 *   <li>{@code --messaging-version N}: version of the {@code messaging} feature reported (default 2); below 2
 *       event-stream requests answer 406</li>
 *   <li>{@code --tls}: serve HTTPS with a self-signed certificate made at start</li>
 *   <li>{@code --trust-store FILE} (with {@code --tls}): write a PKCS12 trust store holding that certificate
 *       (alias {@code icws-simulator}) to FILE</li>
 *   <li>{@code --trust-store-password PW}: its password (default {@code changeit})</li>
 *   <li>{@code --flat-license-messages}: send license messages in the reference page's flat shape, one message per
 *       license ({@code "name"} and {@code "isAssigned"} beside {@code "isDelta"}), instead of a
 *       {@code licenseAssignedStatusList}</li>
 * </ul>
 *
 * On start it prints one line, the base URL (e.g. {@code http://127.0.0.1:18018}), and runs until stopped
 * (SIGTERM / Ctrl-C). Bad options print one line naming the option and exit with code 2. {@link #main} logs to
 * stderr (unless {@code -Dlogback.configurationFile} says otherwise).
 *
 * <p>Users file format (YAML; the JSON form has the same structure):
 *
 * <pre>
 * users:
 *   - userId: agent1
 *     password: secret
 *     licenses:               # license name: assigned (true) or known but not assigned (false)
 *       I3_ACCESS_CLIENT: true
 *       I3_LICENSE_BASIC_STATION: true
 *       I3_ACCESS_FEEDBACK: false
 * </pre>
 *
 * A top-level list of users (without {@code users:}) is accepted too.
 */
public final class SimulatorCommand {

    static final int DEFAULT_PORT = 18018;
    static final String DEFAULT_TRUST_STORE_PASSWORD = "changeit";

    private static final String HELP = """
            Usage: SimulatorCommand [options]
              --port N                 port to listen on (default 18018; 0 picks a free port)
              --host H                 address to bind (default 127.0.0.1)
              --users FILE             users file, JSON (.json) or YAML (.yaml, .yml); default: agent1/secret
              --session-timeout D      idle session time-out: 300s, 5m, 1500ms or plain seconds (default 300s)
              --keep-alive D           period of the ': keep-alive' comment on event streams (default 5s)
              --messaging-version N    version of the messaging feature reported (default 2); below 2 there
                                       are no event streams (a stream request answers 406)
              --tls                    serve HTTPS with a self-signed certificate made at start (CN=localhost)
              --trust-store FILE       with --tls: write a PKCS12 trust store holding that certificate
                                       (alias icws-simulator) to FILE
              --trust-store-password PW  password of that trust store (default changeit)
              --flat-license-messages  send license messages flat, one per license ("name", "isAssigned" beside
                                       "isDelta"), instead of a licenseAssignedStatusList
              --help                   print this help
            Prints the base URL, then runs until SIGTERM / Ctrl-C. See docs/SIMULATOR.md.""";

    private SimulatorCommand() {
    }

    public static void main(String[] args) {
        // Log to stderr: stdout carries only the URL line. Must be set before the first logger is created.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/icws/licenses/simulator/simulator-logback.xml");
        }
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs the simulator until the JVM shuts down or the calling thread is interrupted.
     *
     * @return 0 after a normal stop, 1 if the server could not start, 2 for bad options
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        IcwsSimulator.Builder builder = IcwsSimulator.builder().port(DEFAULT_PORT);
        boolean tls = false;
        Path trustStore = null;
        String trustStorePassword = null;
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("--help") || opt.equals("-h")) {
                out.println(HELP);
                return 0;
            }
            if (opt.equals("--tls")) {
                tls = true;
                continue;
            }
            if (opt.equals("--flat-license-messages")) {
                builder.flatLicenseMessages(true);
                continue;
            }
            if (!List.of("--port", "--host", "--users", "--session-timeout", "--keep-alive", "--messaging-version",
                    "--trust-store", "--trust-store-password").contains(opt)) {
                err.println("Unknown option: " + opt + " (see --help)");
                return 2;
            }
            if (i + 1 >= args.length) {
                err.println("Option " + opt + " needs a value");
                return 2;
            }
            String value = args[++i];
            try {
                switch (opt) {
                    case "--port" -> builder.port(parsePort(value));
                    case "--host" -> {
                        if (value.isBlank()) {
                            throw new IllegalArgumentException("must not be empty");
                        }
                        builder.host(value);
                    }
                    case "--users" -> builder.users(readUsers(Path.of(value)));
                    case "--trust-store" -> trustStore = trustStoreFile(value);
                    case "--trust-store-password" -> {
                        if (value.isEmpty()) {
                            throw new IllegalArgumentException("must not be empty");
                        }
                        trustStorePassword = value;
                    }
                    case "--session-timeout" -> builder.sessionTimeout(parseDuration(value));
                    case "--keep-alive" -> builder.keepAliveInterval(parseDuration(value));
                    case "--messaging-version" -> builder.messagingVersion(parseMessagingVersion(value));
                    default -> throw new IllegalStateException("unhandled option " + opt);
                }
            } catch (IllegalArgumentException | IOException e) {
                err.println("Invalid value for " + opt + " '" + value + "': " + e.getMessage());
                return 2;
            }
        }
        if (trustStore != null && !tls) {
            err.println("Option --trust-store needs --tls");
            return 2;
        }
        if (trustStorePassword != null && trustStore == null) {
            err.println("Option --trust-store-password needs --trust-store");
            return 2;
        }
        builder.tls(tls);
        IcwsSimulator sim;
        try {
            sim = builder.build();
        } catch (IllegalArgumentException e) {
            err.println("Invalid value for --users: " + e.getMessage());
            return 2;
        }
        try {
            sim.start();
        } catch (RuntimeException e) {
            err.println("Cannot start the simulator: " + e.getMessage());
            return 1;
        }
        if (trustStore != null) {
            try {
                sim.writeTrustStore(trustStore, (trustStorePassword == null ? DEFAULT_TRUST_STORE_PASSWORD
                        : trustStorePassword).toCharArray());
            } catch (RuntimeException e) {
                sim.close();
                err.println("Cannot write the --trust-store: " + e.getMessage());
                return 1;
            }
            // not on stdout, which carries only the URL line; the logger is made here, after main() chose its config
            LoggerFactory.getLogger(SimulatorCommand.class).info(
                    "Wrote the trust store {} (PKCS12, alias icws-simulator) with the simulator's certificate",
                    trustStore.toAbsolutePath());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            sim.close();
            stopped.countDown();
        }, "icws-sim-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println(sim.baseUri());
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sim.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
        return 0;
    }

    /** A trust store path whose directory exists; the file itself is (re)written at start. */
    static Path trustStoreFile(String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
        Path file = Path.of(value).toAbsolutePath();
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("is a directory");
        }
        if (file.getParent() != null && !Files.isDirectory(file.getParent())) {
            throw new IllegalArgumentException("no such directory " + file.getParent());
        }
        return Path.of(value);
    }

    static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("must be between 0 and 65535");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number");
        }
    }

    static int parseMessagingVersion(String value) {
        try {
            int version = Integer.parseInt(value.trim());
            if (version < 1) {
                throw new IllegalArgumentException("must be 1 or more");
            }
            return version;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number");
        }
    }

    /** Parses {@code 300s}, {@code 5m}, {@code 1500ms}, {@code 1h} or plain seconds. */
    static Duration parseDuration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
            } else if (v.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1).trim()));
            } else if (v.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1).trim()));
            } else if (v.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1).trim()));
            } else {
                d = Duration.ofSeconds(Long.parseLong(v));
            }
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("must be positive");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected e.g. 300s, 5m, 1500ms or plain seconds");
        }
    }

    /** Reads a users file: JSON, or YAML for {@code .yaml}/{@code .yml}. */
    static List<SimulatedUser> readUsers(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such file");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml")
                ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException("not valid " + (mapper.getFactory() instanceof YAMLFactory ? "YAML" : "JSON")
                    + ": " + String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse(""));
        }
        JsonNode list = root != null && root.isObject() ? root.get("users") : root;
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException("expected a non-empty list 'users'");
        }
        List<SimulatedUser> users = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode u = list.get(i);
            String where = "users[" + i + "]";
            if (!u.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            String userId = text(u, "userId", where);
            String password = text(u, "password", where);
            Map<String, Boolean> licenses = new LinkedHashMap<>();
            JsonNode l = u.get("licenses");
            if (l != null && !l.isNull()) {
                if (!l.isObject()) {
                    throw new IllegalArgumentException(where + ".licenses must map license names to true/false");
                }
                for (Map.Entry<String, JsonNode> e : l.properties()) {
                    if (!e.getValue().isBoolean()) {
                        throw new IllegalArgumentException(where + ".licenses." + e.getKey() + " must be true or false");
                    }
                    licenses.put(e.getKey(), e.getValue().booleanValue());
                }
            }
            users.add(new SimulatedUser(userId, password, licenses));
        }
        return users;
    }

    private static String text(JsonNode u, String field, String where) {
        JsonNode v = u.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + "." + field + " must be a non-empty string");
        }
        return v.asText();
    }
}
