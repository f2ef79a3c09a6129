package io.icws.licenses.config;

/**
 * A setting that cannot work. The message is one line a person can act on: the key, what is wrong,
 * and where such a value comes from.
 */
public final class InvalidSettingException extends RuntimeException {

    private final String key;

    public InvalidSettingException(String key, String problem) {
        super("Invalid setting " + key + ": " + problem + " (set it in config/application.properties, as -D"
                + key + "=… or as environment variable " + environmentName(key) + ")");
        this.key = key;
    }

    public String key() {
        return key;
    }

    /** Camel's mapping of a property key to an environment variable name. */
    public static String environmentName(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
