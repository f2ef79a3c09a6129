package io.icws.licenses.config;

import java.util.Locale;

/**
 * A setting that cannot work. The message is one line a person can act on: the key, what is wrong, and
 * where such a value comes from (for a secret: an environment variable or a file, never the settings file).
 */
public final class InvalidSettingException extends RuntimeException {

    private final String key;

    public InvalidSettingException(String key, String problem) {
        super("Invalid setting " + key + ": " + problem + " (" + hint(key) + ")");
        this.key = key;
    }

    public String key() {
        return key;
    }

    private static String hint(String key) {
        if (Secrets.isSecret(key)) {
            return "set the environment variable " + environmentName(key) + ", or name a file holding it in "
                    + key + "-file; secrets never go in config/application.properties";
        }
        return "set it in your settings (config/application.properties for the jar), as -D" + key
                + "=… or as environment variable " + environmentName(key);
    }

    /** Camel's mapping of a property key to an environment variable name. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
