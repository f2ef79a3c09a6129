package io.icws.licenses.config;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import io.icws.licenses.state.ChangeType;
import org.apache.camel.util.TimeUtils;
import org.quartz.CronExpression;

/**
 * Every {@code icws.*} setting the routes read, checked once before any server is contacted. The keys are
 * the public contract documented in {@code config/application.properties}; the routes themselves read the
 * same keys as {@code {{placeholders}}}, this class only refuses values that cannot work, with a message
 * naming the key.
 *
 * @param servers       base URLs to try in order ({@code icws.server}); empty when {@link #embedded()}
 * @param embedded      {@code icws.server=embedded}: the built-in simulator is started in the process
 * @param password      never logged; {@link #toString()} masks it
 *
 * <p>Settings the routes read only as placeholders (poll interval, cron, folders, target switches) are
 * checked here but not kept.
 */
public record IcwsSettings(
        List<URI> servers,
        boolean embedded,
        String user,
        String password,
        String applicationName,
        String acceptLanguage,
        List<String> licenses,
        Path stateDirectory,
        Duration shutdownTimeout,
        Duration retryInitialDelay,
        Duration retryMaxDelay,
        Dsl dsl,
        boolean jmsEnabled,
        String jmsBrokerUrl) {

    /** Which of the two route sets the jar runs. */
    public enum Dsl { YAML, JAVA }

    /** The value of {@code icws.server} that starts the built-in simulator. */
    public static final String EMBEDDED = "embedded";

    /** The user and password of the embedded simulator when none are configured. */
    public static final String DEMO_USER = "agent1";
    public static final String DEMO_PASSWORD = "secret";

    private static final Pattern LICENSE_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /**
     * Reads and checks the settings.
     *
     * @param  lookup                  a property by key, as Camel's properties component resolves it
     *                                 (properties files, -D system properties, environment variables)
     * @throws InvalidSettingException for the first setting that cannot work
     */
    public static IcwsSettings from(Function<String, Optional<String>> lookup) {
        Reader r = new Reader(lookup);
        String server = r.required("icws.server");
        boolean embedded = EMBEDDED.equalsIgnoreCase(server);
        List<URI> servers = embedded ? List.of() : r.urls("icws.server", server);
        // The embedded simulator is created with the configured user, so a demo needs neither.
        String user = embedded ? r.optional("icws.user").orElse(DEMO_USER) : r.required("icws.user");
        String password = r.password().orElseGet(() -> {
            if (embedded) {
                return DEMO_PASSWORD;
            }
            throw new InvalidSettingException("icws.password",
                    "is not set (nor icws.password-file, a file holding the password)");
        });
        List<String> licenses = r.list("icws.licenses");
        if (licenses.isEmpty()) {
            throw new InvalidSettingException("icws.licenses", "the list of licenses to watch is empty");
        }
        for (String license : licenses) {
            if (!LICENSE_NAME.matcher(license).matches()) {
                throw new InvalidSettingException("icws.licenses",
                        "'" + license + "' is not a license name (letters, digits, '_', '.', '-' only)");
            }
        }
        r.duration("icws.poll.interval", "1000");
        String cron = r.required("icws.subscribe.cron");
        if (!CronExpression.isValidExpression(cron)) {
            throw new InvalidSettingException("icws.subscribe.cron",
                    "'" + cron + "' is not a Quartz cron expression (six or seven fields, e.g. 0 0/15 * * * ?)");
        }
        Dsl dsl = r.choice("icws.dsl", "yaml", Dsl.class);
        Duration initialDelay = r.duration("icws.retry.initial-delay", "1s");
        Duration maxDelay = r.duration("icws.retry.max-delay", "60s");
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new InvalidSettingException("icws.retry.max-delay",
                    "must not be shorter than icws.retry.initial-delay (" + initialDelay.toMillis() + " ms)");
        }
        for (String change : r.list("icws.notify.email.changes")) {
            try {
                ChangeType.fromValue(change);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("icws.notify.email.changes",
                        "'" + change + "' is not one of observed, assigned, unassigned");
            }
        }
        if (r.bool("icws.notify.email.enabled", "false")) {
            r.required("icws.notify.email.to");
            r.required("icws.notify.email.from");
            r.required("icws.notify.email.host");
            r.choice("icws.notify.email.security", "none", EmailSecurity.class);
        }
        boolean jmsEnabled = r.bool("icws.notify.jms.enabled", "true");
        String brokerUrl = r.optional("icws.notify.jms.broker-url").orElse("embedded");
        if (jmsEnabled) {
            r.required("icws.notify.jms.destination");
        }
        if (r.bool("icws.notify.file.enabled", "true")) {
            r.required("icws.notify.file.directory");
        }
        r.path("icws.dead-letter.directory");
        return new IcwsSettings(servers, embedded, user, password,
                r.optional("icws.application-name").orElse("ICWS license routes"),
                r.optional("icws.accept-language").orElse("en-us"),
                licenses, r.path("icws.state.directory"),
                r.duration("icws.shutdown.timeout", "5s"), initialDelay, maxDelay, dsl, jmsEnabled, brokerUrl);
    }

    /** How the SMTP connection is secured. */
    public enum EmailSecurity { NONE, STARTTLS, SSL }

    @Override
    public String toString() {
        return "IcwsSettings[servers=" + (embedded ? EMBEDDED : servers) + ", user=" + user
                + ", password=****, licenses=" + licenses + ", dsl=" + dsl + "]";
    }

    /** Reads one key at a time and names it in every complaint. */
    private record Reader(Function<String, Optional<String>> lookup) {

        Optional<String> optional(String key) {
            return lookup.apply(key).map(String::trim).filter(v -> !v.isEmpty());
        }

        String required(String key) {
            return optional(key).orElseThrow(() -> new InvalidSettingException(key, "is not set"));
        }

        List<String> list(String key) {
            return optional(key).map(v -> Arrays.stream(v.split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList()).orElse(List.of());
        }

        boolean bool(String key, String fallback) {
            String v = optional(key).orElse(fallback);
            if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                throw new InvalidSettingException(key, "'" + v + "' is neither true nor false");
            }
            return Boolean.parseBoolean(v);
        }

        Duration duration(String key, String fallback) {
            String v = optional(key).orElse(fallback);
            long millis;
            try {
                millis = TimeUtils.toMilliSeconds(v);
            } catch (RuntimeException e) {
                throw new InvalidSettingException(key, "'" + v + "' is not a duration (e.g. 1000 for ms, 5s, 1m30s)");
            }
            if (millis <= 0) {
                throw new InvalidSettingException(key, "'" + v + "' must be more than zero");
            }
            return Duration.ofMillis(millis);
        }

        Path path(String key) {
            return Path.of(required(key));
        }

        <E extends Enum<E>> E choice(String key, String fallback, Class<E> type) {
            String v = optional(key).orElse(fallback);
            try {
                return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                List<String> allowed = new ArrayList<>();
                for (E c : type.getEnumConstants()) {
                    allowed.add(c.name().toLowerCase(Locale.ROOT));
                }
                throw new InvalidSettingException(key, "'" + v + "' is not one of " + String.join(", ", allowed));
            }
        }

        List<URI> urls(String key, String value) {
            List<URI> urls = new ArrayList<>();
            for (String part : value.split(",")) {
                String s = part.trim();
                if (s.isEmpty()) {
                    continue;
                }
                URI uri;
                try {
                    uri = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
                } catch (IllegalArgumentException e) {
                    throw new InvalidSettingException(key, "'" + s + "' is not a URL");
                }
                if (uri.getScheme() == null || uri.getHost() == null
                        || !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
                    throw new InvalidSettingException(key,
                            "'" + s + "' is not an http(s) base URL such as https://cic.example.com:8019, nor 'embedded'");
                }
                urls.add(uri);
            }
            return List.copyOf(urls);
        }

        Optional<String> password() {
            Optional<String> direct = lookup.apply("icws.password").filter(v -> !v.isEmpty());
            if (direct.isPresent()) {
                return direct;
            }
            Optional<String> file = optional("icws.password-file");
            if (file.isEmpty()) {
                return Optional.empty();
            }
            try {
                String content = Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip();
                if (content.isEmpty()) {
                    throw new InvalidSettingException("icws.password-file", "the file " + file.get() + " is empty");
                }
                return Optional.of(content);
            } catch (IOException e) {
                throw new InvalidSettingException("icws.password-file",
                        "cannot read " + file.get() + " (" + e.getClass().getSimpleName() + ")");
            }
        }
    }
}
