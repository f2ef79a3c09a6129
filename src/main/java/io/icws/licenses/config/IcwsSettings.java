package io.icws.licenses.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.icws.licenses.state.ChangeType;

/**
 * The settings shared by every connection: which connections there are, the outbox, the dead letters, the
 * targets and the shutdown bound. Checked once before any server is contacted; the keys are the public
 * contract documented in {@code config/application.properties}. The routes read the same keys as
 * {@code {{placeholders}}}; this class refuses values that cannot work, with a message naming the key.
 *
 * @param connections        the connection ids: those {@code icws.connections} lists and those
 *                           {@code icws.connections.<id>.*} keys name; {@code default} when there are none
 * @param outboxSegmentBytes an outbox segment is rolled over once it holds this many bytes
 *                           ({@code icws.outbox.segment-size-kib})
 */
public record IcwsSettings(
        List<String> connections,
        Path outboxDirectory,
        long outboxSegmentBytes,
        Path deadLetterDirectory,
        Duration shutdownTimeout,
        Dsl dsl,
        Targets targets,
        Cluster cluster,
        Store store) {

    /**
     * Where the outbox and the license states live ({@code icws.store}).
     *
     * @param jdbc             false: files in the data folders (the default); true: a database
     * @param url              {@code icws.store.jdbc.url}: the store's own connection pool (HikariCP); null: the
     *                         host's {@code javax.sql.DataSource}
     * @param username         {@code icws.store.jdbc.username}, or null
     * @param dataSource       {@code icws.store.jdbc.data-source}: the name of the host's DataSource bean, or null
     *                         (then the only DataSource in the registry)
     * @param tablePrefix      {@code icws.store.jdbc.table-prefix}
     * @param initializeSchema {@code icws.store.jdbc.initialize-schema}
     * @param poolSize         {@code icws.store.jdbc.pool-size}
     * @param connectTimeout   {@code icws.store.jdbc.connect-timeout}: how long a commit waits for a connection
     * @param statementTimeout {@code icws.store.jdbc.statement-timeout}: how long one statement may take
     */
    public record Store(boolean jdbc, String url, String username, String dataSource, String tablePrefix,
                        boolean initializeSchema, int poolSize, Duration connectTimeout, Duration statementTimeout) {
    }

    /**
     * Who owns the data folders when several processes share them.
     *
     * @param enabled      false: no cluster policy, every process runs everything (one process per folder only)
     * @param namespace    the cluster namespace all routes share
     * @param lockFolder   where the default file lock lives when the runtime binds no cluster service
     * @param lockInterval how often that lock is tried and its heartbeat written
     * @param service      {@code icws.cluster.service}: the bean name of the cluster service to use, or null
     */
    public record Cluster(boolean enabled, String namespace, Path lockFolder, Duration lockInterval, String service) {
    }

    /** Which of the two route sets the jar runs. */
    public enum Dsl { YAML, JAVA }

    /** How the SMTP connection is secured. */
    public enum EmailSecurity { NONE, STARTTLS, SSL }

    /** How an endpoint target carries the CloudEvent (the CloudEvents HTTP binding's two modes). */
    public enum CloudEventsMode {
        /** The whole event as the body, {@code Content-Type: application/cloudevents+json; charset=UTF-8}. */
        STRUCTURED,
        /** {@code data} as the body ({@code application/json}), the attributes as {@code ce-*} headers. */
        BINARY
    }

    /** Prefix of the endpoint targets' keys: {@code icws.notify.endpoints.<name>.*}. */
    public static final String ENDPOINTS_PREFIX = "icws.notify.endpoints.";
    /** Target names the routes use themselves: an endpoint target cannot take one. */
    public static final Set<String> BUILT_IN_TARGETS = Set.of("log", "file", "jms", "email");
    private static final Pattern TARGET_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");

    /**
     * A target made from settings: any Camel endpoint, fed from its own outbox queue
     * ({@code icws.notify.endpoints.<name>.*}).
     *
     * @param name            [a-z0-9][a-z0-9-]*, not a built-in target's name; route {@code notify-<name>}
     * @param uriKey          the key that holds the endpoint URI: the URI itself is never kept here (it may
     *                        hold a secret), Camel resolves it from the key
     * @param changes         which change types it gets
     * @param attempts        tries after the first before a refused event goes to the dead letters
     * @param connectTimeout  for an http(s) endpoint: connect and connection-pool time-out
     * @param responseTimeout for an http(s) endpoint: the longest wait for the answer
     */
    public record EndpointTarget(String name, String uriKey, Set<ChangeType> changes,
                                 CloudEventsMode cloudEventsMode, int attempts, Duration initialDelay,
                                 Duration maxDelay, Duration connectTimeout, Duration responseTimeout) {

        /** The change types as a comma list, for the route template's {@code changes} parameter. */
        public String changesText() {
            return changes.stream().map(ChangeType::value).collect(Collectors.joining(","));
        }
    }

    /**
     * Where events go. A disabled target's fields are null.
     *
     * @param jmsBrokerUrl {@code embedded} (the jar's own broker) or a broker URL
     * @param endpoints    the endpoint targets ({@code icws.notify.endpoints}), in the order listed
     */
    public record Targets(boolean log, Path fileDirectory, String jmsBrokerUrl, String jmsDestination,
                          String jmsUsername, String emailHost, int emailPort, EmailSecurity emailSecurity,
                          String emailUsername, String emailTo, List<EndpointTarget> endpoints) {

        public boolean file() {
            return fileDirectory != null;
        }

        public boolean jms() {
            return jmsBrokerUrl != null;
        }

        public boolean email() {
            return emailHost != null;
        }

        /** The names of the enabled targets, as the outbox knows them. */
        public List<String> names() {
            List<String> names = new ArrayList<>();
            if (log) {
                names.add("log");
            }
            if (file()) {
                names.add("file");
            }
            if (jms()) {
                names.add("jms");
            }
            if (email()) {
                names.add("email");
            }
            for (EndpointTarget endpoint : endpoints) {
                names.add(endpoint.name());
            }
            return names;
        }
    }

    /**
     * Reads and checks the shared settings.
     *
     * @param lookup         a property by key, as Camel's properties component resolves it
     * @param connectionKeys every key under {@code icws.connections.} that is set (to find the ids)
     * @throws InvalidSettingException for the first setting that cannot work
     */
    public static IcwsSettings from(Function<String, java.util.Optional<String>> lookup, Set<String> connectionKeys) {
        SettingsReader r = new SettingsReader(lookup);
        Set<String> ids = new LinkedHashSet<>(r.list("icws.connections"));
        for (String key : connectionKeys) {
            String rest = key.substring(ConnectionSettings.PREFIX.length());
            int dot = rest.indexOf('.');
            if (dot > 0) {
                ids.add(rest.substring(0, dot));
            }
        }
        List<String> connections = ids.isEmpty() ? List.of(ConnectionSettings.DEFAULT_ID) : List.copyOf(ids);
        return new IcwsSettings(connections,
                r.path("icws.outbox.directory"),
                1024L * r.integer("icws.outbox.segment-size-kib", 8192, 1, 1 << 20),
                r.path("icws.dead-letter.directory"),
                r.duration("icws.shutdown.timeout", "5s"),
                r.choice("icws.dsl", "yaml", Dsl.class),
                targets(r),
                cluster(r),
                store(r));
    }

    private static Store store(SettingsReader r) {
        String kind = r.text("icws.store", "file").trim().toLowerCase(java.util.Locale.ROOT);
        if (!kind.equals("file") && !kind.equals("jdbc")) {
            throw new InvalidSettingException("icws.store", "'" + kind + "' is not a store: file (the data folders) "
                    + "or jdbc (a database: icws.store.jdbc.url)");
        }
        String url = r.optional("icws.store.jdbc.url").map(String::trim).filter(v -> !v.isEmpty()).orElse(null);
        if (url != null && !url.startsWith("jdbc:")) {
            throw new InvalidSettingException("icws.store.jdbc.url", "is not a JDBC URL (jdbc:postgresql://host:5432/db)");
        }
        if (url != null && url.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
            throw new InvalidSettingException("icws.store.jdbc.url", "holds a password: give it as "
                    + "ICWS_STORE_JDBC_PASSWORD or icws.store.jdbc.password-file, never in the URL");
        }
        return new Store(kind.equals("jdbc"), url,
                r.optional("icws.store.jdbc.username").map(String::trim).filter(v -> !v.isEmpty()).orElse(null),
                r.optional("icws.store.jdbc.data-source").map(String::trim).filter(v -> !v.isEmpty()).orElse(null),
                r.text("icws.store.jdbc.table-prefix", "icws_").trim(),
                r.bool("icws.store.jdbc.initialize-schema", true),
                r.integer("icws.store.jdbc.pool-size", 10, 1, 200),
                r.duration("icws.store.jdbc.connect-timeout", "5s"),
                r.duration("icws.store.jdbc.statement-timeout", "10s"));
    }

    private static Cluster cluster(SettingsReader r) {
        String namespace = r.text("icws.cluster.namespace", "icws").trim();
        if (!namespace.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new InvalidSettingException("icws.cluster.namespace", "'" + namespace + "' is not a namespace: "
                    + "letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        Path lockFolder = r.optional("icws.cluster.file.root").filter(v -> !v.isBlank()).map(Path::of)
                .orElse(r.path("icws.outbox.directory"));
        return new Cluster(r.bool("icws.cluster.enabled", true), namespace, lockFolder,
                r.duration("icws.cluster.file.acquire-lock-interval", "1s"),
                r.optional("icws.cluster.service").map(String::trim).filter(v -> !v.isEmpty()).orElse(null));
    }

    private static Targets targets(SettingsReader r) {
        Path file = r.bool("icws.notify.file.enabled", true) ? r.path("icws.notify.file.directory") : null;
        if (file != null) {
            r.integer("icws.notify.file.batch-size", 100, 1, 10_000);
        }
        String broker = null;
        String destination = null;
        String jmsUser = null;
        if (r.bool("icws.notify.jms.enabled", false)) {
            broker = r.required("icws.notify.jms.broker-url");
            destination = r.required("icws.notify.jms.destination");
            jmsUser = r.optional("icws.notify.jms.username").orElse(null);
            r.integer("icws.notify.jms.batch-size", 100, 1, 10_000);
        }
        for (String change : r.list("icws.notify.email.changes")) {
            try {
                ChangeType.fromValue(change);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("icws.notify.email.changes",
                        "'" + change + "' is not one of observed, assigned, unassigned");
            }
        }
        String host = null;
        int port = 0;
        EmailSecurity security = null;
        String emailUser = null;
        String to = null;
        if (r.bool("icws.notify.email.enabled", false)) {
            to = r.required("icws.notify.email.to");
            r.required("icws.notify.email.from");
            host = r.required("icws.notify.email.host");
            port = r.integer("icws.notify.email.port", 25, 1, 65535);
            security = r.choice("icws.notify.email.security", "none", EmailSecurity.class);
            emailUser = r.optional("icws.notify.email.username").orElse(null);
            r.duration("icws.notify.email.timeout", "5s");
        }
        r.integer("icws.notify.redelivery.attempts", 5, 0, 1000);
        r.duration("icws.notify.redelivery.initial-delay", "1s");
        r.duration("icws.notify.redelivery.max-delay", "30s");
        return new Targets(r.bool("icws.notify.log.enabled", true), file, broker, destination, jmsUser, host, port,
                security, emailUser, to, endpoints(r));
    }

    /** The endpoint targets {@code icws.notify.endpoints} lists, each checked. */
    private static List<EndpointTarget> endpoints(SettingsReader r) {
        // the shared http defaults are checked even without an endpoint target, as every key is
        Duration connectTimeout = r.duration("icws.notify.http.connect-timeout", "5s");
        Duration responseTimeout = r.duration("icws.notify.http.response-timeout", "30s");
        List<EndpointTarget> endpoints = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String name : r.list("icws.notify.endpoints")) {
            if (!TARGET_NAME.matcher(name).matches()) {
                throw new InvalidSettingException("icws.notify.endpoints", "'" + name + "' is not a target name "
                        + "([a-z0-9][a-z0-9-]*: lower-case letters, digits and '-', e.g. chat-ops)");
            }
            if (BUILT_IN_TARGETS.contains(name)) {
                throw new InvalidSettingException("icws.notify.endpoints", "'" + name + "' is the name of a built-in "
                        + "target (" + String.join(", ", new java.util.TreeSet<>(BUILT_IN_TARGETS))
                        + "); give the endpoint target another name");
            }
            if (!seen.add(name)) {
                throw new InvalidSettingException("icws.notify.endpoints", "'" + name + "' is listed twice");
            }
            String own = ENDPOINTS_PREFIX + name + ".";
            r.required(own + "uri");
            Set<ChangeType> changes = EnumSet.allOf(ChangeType.class);
            if (r.optional(own + "changes").isPresent()) {
                changes = EnumSet.noneOf(ChangeType.class);
                for (String change : r.list(own + "changes")) {
                    try {
                        changes.add(ChangeType.fromValue(change));
                    } catch (IllegalArgumentException e) {
                        throw new InvalidSettingException(own + "changes",
                                "'" + change + "' is not one of observed, assigned, unassigned");
                    }
                }
                if (changes.isEmpty()) {
                    throw new InvalidSettingException(own + "changes", "lists no change type");
                }
            }
            CloudEventsMode mode = r.choice(own + "cloudevents-mode", "structured", CloudEventsMode.class);
            int attempts = r.optional(own + "attempts").isPresent() ? r.integer(own + "attempts", 5, 0, 1000)
                    : r.integer("icws.notify.redelivery.attempts", 5, 0, 1000);
            Duration initialDelay = ownOrShared(r, own + "initial-delay", "icws.notify.redelivery.initial-delay", "1s");
            Duration maxDelay = ownOrShared(r, own + "max-delay", "icws.notify.redelivery.max-delay", "30s");
            Duration connect = r.optional(own + "connect-timeout").isPresent()
                    ? r.duration(own + "connect-timeout", "5s") : connectTimeout;
            Duration response = r.optional(own + "response-timeout").isPresent()
                    ? r.duration(own + "response-timeout", "30s") : responseTimeout;
            endpoints.add(new EndpointTarget(name, own + "uri", java.util.Collections.unmodifiableSet(changes), mode, attempts, initialDelay,
                    maxDelay, connect, response));
        }
        return List.copyOf(endpoints);
    }

    private static Duration ownOrShared(SettingsReader r, String own, String shared, String fallback) {
        return r.optional(own).isPresent() ? r.duration(own, fallback) : r.duration(shared, fallback);
    }
}
