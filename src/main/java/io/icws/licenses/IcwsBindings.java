package io.icws.licenses;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.cluster.DataFolderOwnership;
import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.config.Secrets;
import io.icws.licenses.config.SettingsReader;
import io.icws.licenses.icws.IcwsMessages;
import io.icws.licenses.notify.ChangeFormats;
import io.icws.licenses.notify.JmsTarget;
import io.icws.licenses.notify.MailSettings;
import io.icws.licenses.notify.TargetChecks;
import io.icws.licenses.outbox.DeadLetters;
import io.icws.licenses.outbox.FileOutbox;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.OutboxComponent;
import io.icws.licenses.routes.EndpointTargetRoutes;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;

/**
 * Binds the beans every connection and target shares, once per CamelContext, after checking every setting
 * (the shared ones and each connection's) so that a setting that cannot work stops startup before any server
 * is contacted. The defaults of the {@code icws.*} settings come from the jar's copy of
 * {@code config/application.properties}, under anything the runtime sets — except the ones only the jar's own
 * runtime defaults ({@code icws.server=embedded}, the embedded broker, health): a library has no server of
 * its own.
 *
 * <p>Beans: {@code icwsOutbox} (a service of the context), {@code icwsDeadLetters}, {@code icwsMessages} and {@code icwsMessageType},
 * {@code changeFormats}, and for enabled targets {@code icwsJmsConnectionFactory} (unless the host binds its
 * own) and the mail beans.
 */
public final class IcwsBindings {

    /** Where the jar keeps its copy of {@code config/application.properties}: the defaults. */
    public static final String DEFAULTS = "icws/application.properties";

    /** Keys whose value in the settings file is the jar's own runtime's, not a library default. */
    private static final Set<String> JAR_ONLY = Set.of("icws.server", "icws.notify.jms.broker-url");
    /** The library's own default of keys whose value in the settings file is the jar's. */
    private static final Map<String, String> LIBRARY_DEFAULTS = Map.of("icws.notify.jms.enabled", "false");
    private static final String[] JAR_ONLY_PREFIXES = {"icws.health.", "icws.demo.", "icws.notify.jms.embedded-"};

    private IcwsBindings() {
    }

    /**
     * Checks the settings and binds the shared beans, unless this context has them already.
     *
     * @throws io.icws.licenses.config.InvalidSettingException naming the first setting that cannot work
     */
    public static synchronized IcwsSettings bind(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        IcwsSettings existing = registry.lookupByNameAndType("icwsSettings", IcwsSettings.class);
        if (existing != null) {
            return existing;
        }
        PropertiesComponent properties = context.getPropertiesComponent();
        IcwsSettings settings = check(context);
        Secrets secrets = new Secrets(context);

        ObjectMapper mapper = new ObjectMapper();
        // icws.store: the data folders (the default) or a database, shared by replicas on their own disks
        Outbox outbox = settings.store().jdbc()
                ? io.icws.licenses.outbox.JdbcStores.create(context, settings.store(), secrets, mapper)
                : new FileOutbox(settings.outboxDirectory(), mapper, settings.outboxSegmentBytes());
        context.addService(outbox.asService(), true, true);
        if (outbox.ownedPerConnection()) {
            context.addRoutePolicyFactory(new io.icws.licenses.outbox.ReplayOwnership(outbox));
        }
        DeadLetters deadLetters = new DeadLetters(settings.deadLetterDirectory(), mapper, outbox, Clock.systemUTC());
        if (settings.cluster().enabled()) {
            // one process owns the data folders; the routes of the others stand by
            DataFolderOwnership ownership = new DataFolderOwnership(context, settings.cluster().namespace(),
                    settings.cluster().lockFolder(), settings.cluster().lockInterval(), outbox.ownedPerConnection())
                    .serviceName(settings.cluster().service());
            context.addRoutePolicyFactory(ownership);
            registry.bind("icwsOwnership", ownership);
            org.apache.camel.health.HealthCheckRegistry health = org.apache.camel.health.HealthCheckRegistry.get(context);
            if (health != null) {
                health.register(ownership.healthCheck());
            }
        }
        registry.bind("icwsSettings", settings);
        registry.bind(OutboxComponent.OUTBOX_BEAN, outbox);
        registry.bind(OutboxComponent.DEAD_LETTERS_BEAN, deadLetters);
        IcwsMessages messages = new IcwsMessages();
        registry.bind("icwsMessages", messages);
        registry.bind(IcwsMessages.TYPE_EXPRESSION_BEAN, messages.typeExpression());
        registry.bind("changeFormats", new ChangeFormats());
        registry.bind("fileTargetSync", new io.icws.licenses.notify.FileTargetSync());
        registry.bind(io.icws.licenses.notify.FileMessages.BEAN, new io.icws.licenses.notify.FileMessages());
        if (settings.targets().jms()) {
            JmsTarget.bind(context, settings.targets(), secrets);
        }
        if (settings.targets().email()) {
            MailSettings.bind(registry, properties, secrets);
        }
        // endpoint targets: their routes come from the template icws-endpoint-target when the context initialises
        EndpointTargetRoutes.register(context, settings);
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                // called again for routes added later; the work below is once, when everything started
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                // every target route of this run has its endpoint by now (its queue too, unless its route waits
                // for the leadership of the data folder): delivered segments may go
                outbox.allowDeletion(started.getEndpoints().stream()
                        .filter(e -> e instanceof io.icws.licenses.outbox.OutboxEndpoint)
                        .map(e -> ((io.icws.licenses.outbox.OutboxEndpoint) e).getTarget()).toList());
                StartupSummary.log(started, settings);
                TargetChecks.runInBackground(started, settings.targets(), outbox);
            }
        });
        return settings;
    }

    /** {@link #bind(CamelContext)} for callers that cannot throw a checked exception (route sources, suppliers). */
    public static IcwsSettings bound(CamelContext context) {
        try {
            return bind(context);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Adds the defaults and checks every setting — the shared ones and each connection's — without binding
     * or starting anything.
     *
     * @throws io.icws.licenses.config.InvalidSettingException naming the first setting that cannot work
     */
    public static IcwsSettings check(CamelContext context) throws IOException {
        PropertiesComponent properties = context.getPropertiesComponent();
        addDefaults(properties);
        IcwsSettings settings = IcwsSettings.from(properties::resolveProperty, connectionKeys(properties));
        SettingsReader reader = new SettingsReader(properties::resolveProperty);
        Secrets secrets = new Secrets(context);
        for (String id : settings.connections()) {
            ConnectionSettings.read(id, reader, secrets);
        }
        checkEndpointsListed(properties, settings);
        return settings;
    }

    /**
     * An endpoint target's keys without its name in {@code icws.notify.endpoints} would be a target that silently
     * never runs: refused, naming the key.
     */
    private static void checkEndpointsListed(PropertiesComponent properties, IcwsSettings settings) {
        Set<String> keys = new TreeSet<>(properties.loadProperties(k -> k.startsWith(IcwsSettings.ENDPOINTS_PREFIX))
                .stringPropertyNames());
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith(IcwsSettings.ENDPOINTS_PREFIX)) {
                keys.add(key);
            }
        }
        Set<String> listed = new TreeSet<>();
        settings.targets().endpoints().forEach(t -> listed.add(t.name()));
        for (String key : keys) {
            String rest = key.substring(IcwsSettings.ENDPOINTS_PREFIX.length());
            int dot = rest.indexOf('.');
            if (dot > 0 && !listed.contains(rest.substring(0, dot))
                    && !properties.resolveProperty(key).orElse("").isBlank()) {
                throw new InvalidSettingException(key, "is set, but '" + rest.substring(0, dot) + "' is not listed in "
                        + "icws.notify.endpoints (icws.notify.endpoints=" + rest.substring(0, dot) + ",…)");
            }
        }
    }

    /**
     * The keys under {@code icws.connections.} that name connections: those of the property files and sources
     * Camel can list, and JVM system properties. Environment variables cannot name an id ({@code -} and
     * {@code _} look alike there): connections given that way must be listed in {@code icws.connections}.
     */
    public static Set<String> connectionKeys(PropertiesComponent properties) {
        Set<String> keys = new TreeSet<>(properties.loadProperties(k -> k.startsWith(ConnectionSettings.PREFIX))
                .stringPropertyNames());
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith(ConnectionSettings.PREFIX)) {
                keys.add(key);
            }
        }
        boolean listed = properties.resolveProperty("icws.connections").filter(v -> !v.isBlank()).isPresent();
        if (!listed && System.getenv().keySet().stream().anyMatch(k -> k.startsWith("ICWS_CONNECTIONS_"))) {
            throw new InvalidSettingException("icws.connections", "connections given as environment variables "
                    + "(ICWS_CONNECTIONS_…) must be listed: ICWS_CONNECTIONS=site-a,site-b");
        }
        return keys;
    }

    /** The jar's defaults go under whatever the runtime already has (files, -D, environment). */
    private static void addDefaults(PropertiesComponent properties) throws IOException {
        Properties defaults = new Properties();
        try (InputStream in = IcwsBindings.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS + " is missing from the classpath");
            }
            defaults.load(in);
        }
        defaults.putAll(LIBRARY_DEFAULTS);
        for (String key : defaults.stringPropertyNames()) {
            if (key.startsWith("icws.") && !jarOnly(key) && properties.resolveProperty(key).isEmpty()) {
                properties.addInitialProperty(key, defaults.getProperty(key));
            }
        }
    }

    private static boolean jarOnly(String key) {
        if (JAR_ONLY.contains(key)) {
            return true;
        }
        for (String prefix : JAR_ONLY_PREFIXES) {
            if (key.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
