package io.icws.licenses.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

import io.icws.licenses.IcwsBindings;
import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.config.Secrets;
import io.icws.licenses.config.SettingsReader;
import io.icws.licenses.notify.JmsTarget;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts only the jar's own runtime has: the built-in ICWS simulator with its demo when
 * {@code icws.server=embedded}, and the embedded ActiveMQ Artemis broker when
 * {@code icws.notify.jms.broker-url=embedded}. Runs before {@link io.icws.licenses.IcwsConfiguration}, so the
 * library finds them bound. A library host has neither: it names its CIC server and its broker.
 */
public final class JarRuntime implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger("io.icws.licenses");

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent properties = context.getPropertiesComponent();
        // every setting first: a bad one stops startup before anything listens or starts
        IcwsBindings.check(context);
        SettingsReader settings = new SettingsReader(properties::resolveProperty);
        if (settings.bool("icws.health.enabled", true)) {
            String host = settings.text("icws.health.host", "127.0.0.1");
            int port = settings.integer("icws.health.port", 9876, 0, 65535);
            requireFree(host, port, "icws.health.port", "for health over HTTP (or icws.health.enabled=false)");
            ObserveRuntime.configure(context, settings, host, port);
            if (port > 0) {
                context.addStartupListener((started, alreadyStarted) -> {
                    if (!alreadyStarted) {
                        LOG.info("Health: http://{}:{}/observe/health (ready: /observe/health/ready)",
                                host.contains(":") ? "[" + host + "]" : host, port);
                    }
                });
            }
        }
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
            int port = settings.integer("icws.notify.jms.embedded-port", 0, 0, 65535);
            requireFree("127.0.0.1", port, "icws.notify.jms.embedded-port", "for the embedded broker (0: in-VM only)");
            EmbeddedJmsBroker broker = new EmbeddedJmsBroker(
                    Path.of(settings.text("icws.notify.jms.embedded-data-directory", "data/broker")), port);
            if (broker.tcpUrl() != null) {
                LOG.info("Embedded JMS broker: {} (queue {}); read it with any JMS client, e.g. artemis consumer "
                        + "--url {} --destination queue://{}", broker.tcpUrl(),
                        settings.text("icws.notify.jms.destination", ""), broker.tcpUrl(),
                        settings.text("icws.notify.jms.destination", ""));
            }
            context.addService(broker, true, true);
            context.getRegistry().bind("icwsEmbeddedBroker", broker);
            JmsTarget.bindReusing(context, broker.connectionFactory());
            // it starts in the background; a broker that cannot start stops the start-up, naming why
            context.addStartupListener((started, alreadyStarted) -> broker.awaitStarted(Duration.ofSeconds(60)));
        }
    }

    /** A port the jar's runtime will listen on must be free: else one line naming it and its setting. */
    private static void requireFree(String host, int port, String key, String what) {
        if (port == 0) {
            return;
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new InvalidSettingException(hostKey(key), "'" + host + "' is not a host name or address of this machine");
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(address);
        } catch (java.net.BindException e) {
            if (e.getMessage() == null || !e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("in use")) {
                throw new InvalidSettingException(hostKey(key), "cannot listen on " + host + ":" + port + " ("
                        + e.getMessage() + "; is it an address of this machine?)");
            }
            throw new InvalidSettingException(key, "port " + port + " on " + host + " is taken (another instance "
                    + "running?); choose another " + what);
        } catch (IOException e) {
            throw new InvalidSettingException(hostKey(key), "cannot listen on " + host + ":" + port + " ("
                    + e.getMessage() + ")");
        }
    }

    /** The host setting next to a port setting (the embedded broker listens on loopback only). */
    private static String hostKey(String portKey) {
        return portKey.equals("icws.health.port") ? "icws.health.host" : portKey;
    }

    private static boolean usesEmbeddedServer(SettingsReader settings, PropertiesComponent properties) {
        if (ConnectionSettings.EMBEDDED.equalsIgnoreCase(settings.text("icws.server", ""))) {
            return true;
        }
        return IcwsBindings.connectionKeys(properties).stream().filter(k -> k.endsWith(".server"))
                .map(k -> properties.resolveProperty(k).orElse(""))
                .anyMatch(s -> ConnectionSettings.EMBEDDED.equalsIgnoreCase(s.trim()));
    }

}
