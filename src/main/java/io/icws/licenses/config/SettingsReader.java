package io.icws.licenses.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.apache.camel.util.TimeUtils;

/**
 * Reads {@code icws.*} settings one key at a time, naming the key in every complaint. For a connection,
 * {@code icws.connections.<id>.<key>} is read first and {@code icws.<key>} when the connection does not
 * give it; a complaint names the key the value came from.
 */
public final class SettingsReader {

    private final Function<String, Optional<String>> lookup;
    private final String connectionPrefix;

    /** Top-level settings. */
    public SettingsReader(Function<String, Optional<String>> lookup) {
        this(lookup, null);
    }

    private SettingsReader(Function<String, Optional<String>> lookup, String connectionPrefix) {
        this.lookup = lookup;
        this.connectionPrefix = connectionPrefix;
    }

    /** The settings of one connection: its own keys first, the top-level ones for what it does not give. */
    public SettingsReader forConnection(String id) {
        return new SettingsReader(lookup, ConnectionSettings.PREFIX + id + ".");
    }

    /**
     * The key a value is read from: the connection's own key when it gives one, else the top-level key.
     *
     * @param key a top-level key such as {@code icws.poll.interval}
     */
    public String keyOf(String key) {
        if (connectionPrefix != null) {
            String own = connectionPrefix + key.substring("icws.".length());
            if (lookup.apply(own).map(String::trim).filter(v -> !v.isEmpty()).isPresent()) {
                return own;
            }
        }
        return key;
    }

    public Optional<String> optional(String key) {
        return lookup.apply(keyOf(key)).map(String::trim).filter(v -> !v.isEmpty());
    }

    public String required(String key) {
        return optional(key).orElseThrow(() -> connectionPrefix == null
                ? new InvalidSettingException(key, "is not set")
                : new InvalidSettingException(connectionPrefix + key.substring("icws.".length()),
                        "is not set, nor is " + key + " for every connection"));
    }

    public String text(String key, String fallback) {
        return optional(key).orElse(fallback);
    }

    public List<String> list(String key) {
        return optional(key).map(v -> Arrays.stream(v.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList()).orElse(List.of());
    }

    public boolean bool(String key, boolean fallback) {
        String v = optional(key).orElse(Boolean.toString(fallback));
        if (!v.equals("true") && !v.equals("false")) {
            // lower case only: the routes read some of these switches themselves ({{icws.notify.file.enabled}})
            throw new InvalidSettingException(keyOf(key), "'" + v + "' is neither true nor false (in lower case)");
        }
        return Boolean.parseBoolean(v);
    }

    public int integer(String key, int fallback, int min, int max) {
        String v = optional(key).orElse(Integer.toString(fallback));
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new InvalidSettingException(keyOf(key), "'" + v + "' is not between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(keyOf(key), "'" + v + "' is not a whole number");
        }
    }

    /** A duration given in ms ({@code 1000}) or with a unit ({@code 5s}, {@code 1m30s}); more than zero. */
    public Duration duration(String key, String fallback) {
        return duration(key, fallback, false);
    }

    public Duration duration(String key, String fallback, boolean zeroAllowed) {
        String v = optional(key).orElse(fallback);
        long millis;
        try {
            millis = TimeUtils.toMilliSeconds(v);
        } catch (RuntimeException e) {
            throw new InvalidSettingException(keyOf(key), "'" + v + "' is not a duration (e.g. 1000 for ms, 5s, 1m30s)");
        }
        if (millis < 0 || (millis == 0 && !zeroAllowed)) {
            throw new InvalidSettingException(keyOf(key), "'" + v + "' must be more than zero");
        }
        return Duration.ofMillis(millis);
    }

    public Path path(String key) {
        return Path.of(required(key));
    }

    public <E extends Enum<E>> E choice(String key, String fallback, Class<E> type) {
        String v = optional(key).orElse(fallback);
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                allowed.add(c.name().toLowerCase(Locale.ROOT));
            }
            throw new InvalidSettingException(keyOf(key), "'" + v + "' is not one of " + String.join(", ", allowed));
        }
    }

    /** One or more http(s) base URLs, comma separated. */
    public List<URI> urls(String key) {
        String value = required(key);
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
                throw new InvalidSettingException(keyOf(key), "'" + s + "' is not a URL");
            }
            if (uri.getScheme() == null || uri.getHost() == null
                    || !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
                throw new InvalidSettingException(keyOf(key),
                        "'" + s + "' is not an http(s) base URL such as https://cic.example.com:8019");
            }
            urls.add(uri);
        }
        if (urls.isEmpty()) {
            throw new InvalidSettingException(keyOf(key), "is not set");
        }
        return List.copyOf(urls);
    }
}
