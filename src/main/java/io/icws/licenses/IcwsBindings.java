package io.icws.licenses;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Properties;

import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.embedded.EmbeddedIcwsServer;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.icws.IcwsMessages;
import io.icws.licenses.icws.IcwsTls;
import io.icws.licenses.icws.IcwsHttpClientConfigurer;
import io.icws.licenses.notify.ChangeFormats;
import io.icws.licenses.notify.DeadLetters;
import io.icws.licenses.notify.EmbeddedJmsBroker;
import io.icws.licenses.notify.MailSettings;
import io.icws.licenses.state.LicenseTracker;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the beans both DSLs' routes call by name, once per CamelContext, from the {@code icws.*} settings.
 * camel-main gets here through {@link IcwsConfiguration}; a plain CamelContext through
 * {@code IcwsLicenseRoutes}, which calls {@link #bind(CamelContext)} itself. The defaults of every setting
 * come from the jar's copy of {@code config/application.properties}, under anything the runtime sets.
 */
public final class IcwsBindings {

    /** Where the jar keeps its copy of {@code config/application.properties}: the defaults. */
    public static final String DEFAULTS = "icws/application.properties";

    private static final Logger LOG = LoggerFactory.getLogger(IcwsBindings.class);

    private IcwsBindings() {
    }

    /**
     * Checks the settings and binds the beans, unless this context has them already.
     *
     * @throws io.icws.licenses.config.InvalidSettingException naming the first setting that cannot work
     */
    public static synchronized IcwsSettings bind(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        IcwsSettings existing = registry.lookupByNameAndType("icwsSettings", IcwsSettings.class);
        if (existing != null) {
            return existing;
        }
        addDefaults(context.getPropertiesComponent());
        PropertiesComponent properties = context.getPropertiesComponent();
        IcwsSettings settings = IcwsSettings.from(properties::resolveProperty);
        Clock clock = Clock.systemUTC();

        List<URI> servers = settings.servers();
        String serverIdentity;
        if (settings.embedded()) {
            EmbeddedIcwsServer server = new EmbeddedIcwsServer(settings.user(), settings.password(),
                    settings.licenses(), properties.resolveProperty("icws.demo.license").orElse(""),
                    java.time.Duration.ofMillis(org.apache.camel.util.TimeUtils.toMilliSeconds(
                            properties.resolveProperty("icws.demo.interval").orElse("5s"))));
            context.addService(server, true, true);
            servers = List.of(server.baseUri());
            serverIdentity = IcwsSettings.EMBEDDED;
        } else {
            serverIdentity = servers.get(0).getAuthority();
        }

        IcwsConnection connection = new IcwsConnection(servers, settings.user(), settings.password(),
                settings.applicationName(), settings.acceptLanguage(), settings.licenses(),
                settings.retryInitialDelay(), settings.retryMaxDelay(), clock);
        registry.bind("icwsSettings", settings);
        registry.bind("icwsConnection", connection);
        registry.bind("icwsMessages", new IcwsMessages());
        registry.bind("icwsHttpClientConfigurer", new IcwsHttpClientConfigurer());
        registry.bind("licenseTracker",
                new LicenseTracker(serverIdentity, settings.user(), settings.stateDirectory(), clock));
        registry.bind("changeFormats", new ChangeFormats());
        registry.bind("deadLetters", new DeadLetters(clock));
        registry.bind("icwsShutdown", new IcwsShutdown(connection, settings.shutdownTimeout()));
        IcwsTls.bind(registry, properties);
        MailSettings.bind(registry, properties);
        bindJms(context, settings, properties);

        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(new IcwsHealthCheck(connection));
        }
        LOG.debug("ICWS beans bound: {}", settings);
        return settings;
    }

    private static void bindJms(CamelContext context, IcwsSettings settings, PropertiesComponent properties)
            throws Exception {
        String url = settings.jmsBrokerUrl();
        ActiveMQConnectionFactory factory;
        if (settings.jmsEnabled() && IcwsSettings.EMBEDDED.equalsIgnoreCase(url)) {
            EmbeddedJmsBroker broker = new EmbeddedJmsBroker(Path.of(properties
                    .resolveProperty("icws.notify.jms.embedded-data-directory").orElse("data/broker")));
            context.addService(broker, true, true);
            context.getRegistry().bind("icwsEmbeddedBroker", broker);
            factory = new ActiveMQConnectionFactory(broker.url());
        } else {
            // Connects lazily: with JMS off, nothing is ever contacted.
            factory = new ActiveMQConnectionFactory(IcwsSettings.EMBEDDED.equalsIgnoreCase(url) ? "vm://0" : url);
            properties.resolveProperty("icws.notify.jms.username").filter(s -> !s.isBlank()).ifPresent(factory::setUser);
            properties.resolveProperty("icws.notify.jms.password").filter(s -> !s.isBlank()).ifPresent(factory::setPassword);
        }
        context.getRegistry().bind("icwsJmsConnectionFactory", factory);
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
        for (String key : defaults.stringPropertyNames()) {
            if (key.startsWith("icws.") && properties.resolveProperty(key).isEmpty()) {
                properties.addInitialProperty(key, defaults.getProperty(key));
            }
        }
    }
}
