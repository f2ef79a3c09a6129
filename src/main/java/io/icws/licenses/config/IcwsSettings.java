package io.icws.licenses.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

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
        Cluster cluster) {

    /**
     * Who owns the data folders when several processes share them.
     *
     * @param enabled      false: no cluster policy, every process runs everything (one process per folder only)
     * @param namespace    the cluster namespace all routes share
     * @param lockFolder   where the default file lock lives when the runtime binds no cluster service
     * @param lockInterval how often that lock is tried and its heartbeat written
     */
    public record Cluster(boolean enabled, String namespace, Path lockFolder, Duration lockInterval) {
    }

    /** Which of the two route sets the jar runs. */
    public enum Dsl { YAML, JAVA }

    /** How the SMTP connection is secured. */
    public enum EmailSecurity { NONE, STARTTLS, SSL }

    /**
     * Where events go. A disabled target's fields are null.
     *
     * @param jmsBrokerUrl {@code embedded} (the jar's own broker) or a broker URL
     */
    public record Targets(boolean log, Path fileDirectory, String jmsBrokerUrl, String jmsDestination,
                          String jmsUsername, String emailHost, int emailPort, EmailSecurity emailSecurity,
                          String emailUsername, String emailTo) {

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
                cluster(r));
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
                r.duration("icws.cluster.file.acquire-lock-interval", "1s"));
    }

    private static Targets targets(SettingsReader r) {
        Path file = r.bool("icws.notify.file.enabled", true) ? r.path("icws.notify.file.directory") : null;
        String broker = null;
        String destination = null;
        String jmsUser = null;
        if (r.bool("icws.notify.jms.enabled", false)) {
            broker = r.required("icws.notify.jms.broker-url");
            destination = r.required("icws.notify.jms.destination");
            jmsUser = r.optional("icws.notify.jms.username").orElse(null);
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
                security, emailUser, to);
    }
}
