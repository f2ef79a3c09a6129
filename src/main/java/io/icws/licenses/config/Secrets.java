package io.icws.licenses.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.PropertiesSource;

/**
 * Reads secrets (the ICWS password, the SMTP and JMS passwords, the trust store password) without Camel's
 * property resolution, which logs every value it resolves at DEBUG and TRACE and hands it to lookup
 * listeners (camel-main's start-up summary among them). The places are the ones Camel would look at, in its
 * order: override properties, JVM system properties, environment variables (Camel's name mapping:
 * {@code icws.password} → {@code ICWS_PASSWORD}), the properties sources (files), the host's own settings
 * (the parser's custom lookup: Spring Boot's Environment), initial properties. A secret given as {@code <key>-file} is read from that file (trailing blanks
 * removed).
 *
 * <p>No secret is ever written in a {@code {{placeholder}}}: a route or endpoint that needs one gets a bean.
 */
public final class Secrets {

    private final Function<String, Optional<String>> lookup;

    /** Secrets of a CamelContext, read where Camel would look, without its resolution. */
    public Secrets(CamelContext context) {
        this.lookup = key -> lookup(context, key);
    }

    /** Secrets from a plain lookup (tests, tools). */
    public Secrets(Function<String, Optional<String>> lookup) {
        this.lookup = lookup;
    }

    /** Keys whose values are secrets: never resolved through placeholders, never logged. */
    public static boolean isSecret(String key) {
        return key.endsWith(".password") || key.endsWith("-password");
    }

    /** The secret under {@code key}, or the content of the file {@code key + "-file"} names. */
    public Optional<String> read(String key) {
        Optional<String> direct = lookup.apply(key).filter(v -> !v.isEmpty());
        if (direct.isPresent()) {
            return direct;
        }
        Optional<String> file = lookup.apply(key + "-file").map(String::trim).filter(v -> !v.isEmpty());
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            String content = Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip();
            if (content.isEmpty()) {
                throw new InvalidSettingException(key + "-file", "the file " + file.get() + " is empty");
            }
            return Optional.of(content);
        } catch (IOException e) {
            throw new InvalidSettingException(key + "-file",
                    "cannot read " + file.get() + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** True when the key or its {@code -file} is given anywhere. */
    public boolean isGiven(String key) {
        return lookup.apply(key).filter(v -> !v.isEmpty()).isPresent()
                || lookup.apply(key + "-file").filter(v -> !v.isBlank()).isPresent();
    }

    private static Optional<String> lookup(CamelContext context, String key) {
        PropertiesComponent pc = context.getPropertiesComponent();
        org.apache.camel.component.properties.PropertiesComponent impl =
                pc instanceof org.apache.camel.component.properties.PropertiesComponent p ? p : null;
        String value = impl == null ? null : get(impl.getOverrideProperties(), key);
        if (value == null) {
            value = System.getProperty(key);
        }
        if (value == null) {
            value = System.getenv(InvalidSettingException.environmentName(key));
        }
        if (value == null) {
            for (PropertiesSource source : pc.getPropertiesSources()) {
                value = source.getProperty(key);
                if (value != null) {
                    break;
                }
            }
        }
        if (value == null && impl != null && impl.getPropertiesParser() != null) {
            // the host's own settings (Spring Boot's Environment, for one), without the parser's logging
            value = impl.getPropertiesParser().customLookup(key);
        }
        if (value == null && impl != null) {
            value = get(impl.getInitialProperties(), key);
        }
        return Optional.ofNullable(value);
    }

    private static String get(Properties properties, String key) {
        Object value = properties == null ? null : properties.get(key);
        return value == null ? null : value.toString();
    }
}
