package io.icws.licenses.app;

import java.nio.file.Path;
import java.util.List;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.Secrets;
import io.icws.licenses.config.SettingsReader;
import io.icws.licenses.notify.JmsTarget;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The parts only the jar's own runtime has: the built-in ICWS simulator with its demo when
 * {@code icws.server=embedded}, and the embedded ActiveMQ Artemis broker when
 * {@code icws.notify.jms.broker-url=embedded}. Runs before {@link io.icws.licenses.IcwsConfiguration}, so the
 * library finds them bound. A library host has neither: it names its CIC server and its broker.
 */
public final class JarRuntime implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent properties = context.getPropertiesComponent();
        SettingsReader settings = new SettingsReader(properties::resolveProperty);
        if (usesEmbeddedServer(settings, properties)) {
            Secrets secrets = new Secrets(context);
            EmbeddedIcwsServer server = new EmbeddedIcwsServer(
                    settings.text("icws.user", ConnectionSettings.DEMO_USER),
                    secrets.read("icws.password").orElse(ConnectionSettings.DEMO_PASSWORD),
                    settings.list("icws.licenses"),
                    settings.text("icws.demo.license", ""),
                    settings.duration("icws.demo.interval", "5s"));
            context.addService(server, true, true);
            context.getRegistry().bind("icwsEmbeddedServer", server);
        }
        if (settings.bool("icws.notify.jms.enabled", false)
                && JmsTarget.EMBEDDED.equalsIgnoreCase(settings.text("icws.notify.jms.broker-url", ""))) {
            EmbeddedJmsBroker broker = new EmbeddedJmsBroker(
                    Path.of(settings.text("icws.notify.jms.embedded-data-directory", "data/broker")),
                    settings.integer("icws.notify.jms.embedded-port", 0, 0, 65535));
            context.addService(broker, true, true);
            context.getRegistry().bind("icwsEmbeddedBroker", broker);
            context.getRegistry().bind(JmsTarget.CONNECTION_FACTORY,
                    JmsTarget.reusing(new ActiveMQConnectionFactory(broker.url())));
        }
    }

    private static boolean usesEmbeddedServer(SettingsReader settings, PropertiesComponent properties) {
        if (ConnectionSettings.EMBEDDED.equalsIgnoreCase(settings.text("icws.server", ""))) {
            return true;
        }
        List<String> servers = properties.loadProperties(k -> k.startsWith(ConnectionSettings.PREFIX)
                && k.endsWith(".server")).values().stream().map(Object::toString).toList();
        return servers.stream().anyMatch(s -> ConnectionSettings.EMBEDDED.equalsIgnoreCase(s.trim()));
    }

}
