package io.icws.licenses.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import org.quartz.CronExpression;

/**
 * The settings of one connection: one ICWS session of one user on one server (or a list of servers to try
 * in turn). Each is read from {@code icws.connections.<id>.<key>}, else from the top-level {@code icws.<key>};
 * the connection {@code default} has only the top-level keys.
 *
 * @param servers  base URLs to try in order; empty when {@link #embedded()}
 * @param embedded {@code embedded}: the built-in simulator of the jar's own runtime
 * @param password never logged; {@link #toString()} leaves it out
 * @param maxEventBytes     {@code icws.sse.max-event-size}: the largest event an event stream may send, in bytes
 *                          of its data; a larger one breaks the stream (it is opened again, after subscribing again)
 * @param heartbeatInterval {@code icws.session.heartbeat-interval}: how often a session that only listens on its
 *                          event stream tells the server it is in use; zero: never
 * @param eventsPerRecord   {@code icws.commit.events-per-record}: a batch that makes more changes (a bulk change, a
 *                          poll after an outage) is committed in several records, so the targets start on the first
 *                          while the rest is applied; split between messages, never inside one
 */
public record ConnectionSettings(
        String id,
        List<URI> servers,
        boolean embedded,
        String user,
        String password,
        String applicationName,
        String acceptLanguage,
        List<String> licenses,
        Duration connectTimeout,
        Duration responseTimeout,
        Tls tls,
        ReceiveMode receive,
        Duration pollInterval,
        Duration sseIdleTimeout,
        String subscribeCron,
        Duration subscribeJitter,
        Duration retryInitialDelay,
        Duration retryMaxDelay,
        Path stateDirectory,
        int maxEventBytes,
        Duration heartbeatInterval,
        int eventsPerRecord) {

    /** Prefix of a connection's own keys. */
    public static final String PREFIX = "icws.connections.";
    /** The id of the connection the top-level keys make when no connection is declared. */
    public static final String DEFAULT_ID = "default";
    /** The value of {@code icws.server} that means the jar's built-in simulator. */
    public static final String EMBEDDED = "embedded";
    /** The user and password of the embedded simulator when none are configured. */
    public static final String DEMO_USER = "agent1";
    public static final String DEMO_PASSWORD = "secret";

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern LICENSE_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /** How messages are received. */
    public enum ReceiveMode {
        /** Server-sent events when the server offers messaging version 2 or more, polling otherwise. */
        AUTO,
        /** Server-sent events; polling when the server refuses the stream. */
        SSE,
        /** Short polling every {@code icws.poll.interval}. */
        POLL
    }

    /**
     * TLS of the ICWS calls.
     *
     * @param trustStore a trust store file, or null for the JVM's default trust
     * @param password   the trust store's password, or null; never logged
     * @param insecure   trust anything, check no host name (warned at every start)
     */
    public record Tls(Path trustStore, String type, String password, boolean insecure) {

        @Override
        public String toString() {
            return "Tls[trustStore=" + trustStore + ", type=" + type + ", insecure=" + insecure + "]";
        }
    }

    /**
     * Reads and checks the settings of one connection.
     *
     * @throws InvalidSettingException for the first setting that cannot work, naming its key
     */
    public static ConnectionSettings read(String id, SettingsReader top, Secrets secrets) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new InvalidSettingException(PREFIX + id, "'" + id + "' is not a connection id: lower-case "
                    + "letters, digits and '-', starting with a letter or digit");
        }
        SettingsReader r = DEFAULT_ID.equals(id) ? top : top.forConnection(id);
        String server = r.required("icws.server");
        boolean embedded = EMBEDDED.equalsIgnoreCase(server);
        List<URI> servers = embedded ? List.of() : r.urls("icws.server");
        String user = embedded ? r.optional("icws.user").orElse(DEMO_USER) : r.required("icws.user");
        String passwordKey = secretKey(id, "icws.password", secrets);
        String password = secrets.read(passwordKey).orElseGet(() -> {
            if (embedded) {
                return DEMO_PASSWORD;
            }
            throw new InvalidSettingException(passwordKey, "is not set");
        });
        List<String> licenses = r.list("icws.licenses");
        if (licenses.isEmpty()) {
            throw new InvalidSettingException(r.keyOf("icws.licenses"), "the list of licenses to watch is empty");
        }
        for (String license : licenses) {
            if (!LICENSE_NAME.matcher(license).matches()) {
                throw new InvalidSettingException(r.keyOf("icws.licenses"),
                        "'" + license + "' is not a license name (letters, digits, '_', '.', '-' only)");
            }
        }
        String cron = r.required("icws.subscribe.cron");
        if (!CronExpression.isValidExpression(cron)) {
            throw new InvalidSettingException(r.keyOf("icws.subscribe.cron"),
                    "'" + cron + "' is not a Quartz cron expression (six or seven fields, e.g. 0 0/15 * * * ?)");
        }
        Duration initialDelay = r.duration("icws.retry.initial-delay", "1s");
        Duration maxDelay = r.duration("icws.retry.max-delay", "60s");
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new InvalidSettingException(r.keyOf("icws.retry.max-delay"),
                    "must not be shorter than icws.retry.initial-delay (" + initialDelay.toMillis() + " ms)");
        }
        return new ConnectionSettings(id, servers, embedded, user, password,
                r.text("icws.application-name", "ICWS license routes"),
                r.text("icws.accept-language", "en-us"),
                licenses,
                r.duration("icws.http.connect-timeout", "5s"),
                r.duration("icws.http.response-timeout", "30s"),
                tls(id, r, secrets),
                r.choice("icws.receive", "auto", ReceiveMode.class),
                r.duration("icws.poll.interval", "1s"),
                r.duration("icws.sse.idle-timeout", "60s"),
                cron,
                r.duration("icws.subscribe.jitter", "30s", true),
                initialDelay, maxDelay,
                r.path("icws.state.directory"),
                r.integer("icws.sse.max-event-size", 1 << 20, 1024, 1 << 28),
                r.duration("icws.session.heartbeat-interval", "60s", true),
                r.integer("icws.commit.events-per-record", 2000, 1, Integer.MAX_VALUE));
    }

    private static Tls tls(String id, SettingsReader r, Secrets secrets) {
        boolean insecure = r.bool("icws.tls.insecure", false);
        Path trustStore = r.optional("icws.tls.trust-store").map(Path::of).orElse(null);
        if (trustStore != null && !Files.isReadable(trustStore)) {
            throw new InvalidSettingException(r.keyOf("icws.tls.trust-store"), "cannot read the file " + trustStore);
        }
        String password = secrets.read(secretKey(id, "icws.tls.trust-store-password", secrets)).orElse(null);
        return new Tls(trustStore, r.text("icws.tls.trust-store-type", "PKCS12"), password, insecure);
    }

    /** The connection's own key of a secret when it gives one, else the top-level key. */
    private static String secretKey(String id, String key, Secrets secrets) {
        if (!DEFAULT_ID.equals(id)) {
            String own = PREFIX + id + "." + key.substring("icws.".length());
            if (secrets.isGiven(own)) {
                return own;
            }
        }
        return key;
    }

    /** {@code user@server} as a person reads it, e.g. {@code agent1@https://cic1:8019}. */
    public String describe() {
        return user + "@" + (embedded ? EMBEDDED : servers.size() == 1 ? servers.get(0) : servers);
    }

    @Override
    public String toString() {
        return "ConnectionSettings[id=" + id + ", servers=" + (embedded ? EMBEDDED : servers) + ", user=" + user
                + ", licenses=" + licenses + ", receive=" + receive + ", tls=" + tls + "]";
    }
}
