package io.icws.licenses.notify;

import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.config.Secrets;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import org.apache.camel.CamelContext;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * The JMS connection of the JMS target, as the bean {@code icwsJmsConnectionFactory} the route names. A host
 * that binds its own {@link ConnectionFactory} under that name (any broker) keeps it as it is (pooling is then
 * the host's: a bare factory opens a connection per message); otherwise one is made for
 * {@code icws.notify.jms.broker-url} with the ActiveMQ Artemis client (add
 * {@code org.apache.activemq:artemis-jakarta-client}) and wrapped so that one connection and its session are
 * kept and reused, and made again after a failure.
 */
public final class JmsTarget {

    /** Registry name of the target's connection factory. */
    public static final String CONNECTION_FACTORY = "icwsJmsConnectionFactory";
    /** {@code icws.notify.jms.broker-url} of the broker inside the jar's own runtime. */
    public static final String EMBEDDED = "embedded";

    private JmsTarget() {
    }

    public static void bind(CamelContext context, IcwsSettings.Targets targets, Secrets secrets) throws Exception {
        if (context.getRegistry().lookupByName(CONNECTION_FACTORY) != null) {
            return;
        }
        String url = targets.jmsBrokerUrl();
        if (EMBEDDED.equalsIgnoreCase(url)) {
            throw new InvalidSettingException("icws.notify.jms.broker-url", "'embedded' is the broker of the jar's own "
                    + "runtime; give your broker's URL (e.g. tcp://broker.example.com:61616) or bind a "
                    + "jakarta.jms.ConnectionFactory named " + CONNECTION_FACTORY);
        }
        ConnectionFactory artemis;
        try {
            org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory factory =
                    new org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory(url);
            if (targets.jmsUsername() != null) {
                factory.setUser(targets.jmsUsername());
            }
            secrets.read("icws.notify.jms.password").ifPresent(factory::setPassword);
            artemis = factory;
        } catch (NoClassDefFoundError e) {
            throw new InvalidSettingException("icws.notify.jms.broker-url", "the ActiveMQ Artemis client is not on the "
                    + "classpath: add org.apache.activemq:artemis-jakarta-client, or bind a jakarta.jms.ConnectionFactory "
                    + "named " + CONNECTION_FACTORY);
        } catch (RuntimeException e) {
            throw new InvalidSettingException("icws.notify.jms.broker-url", "'" + url + "' is not a broker URL the "
                    + "Artemis client accepts (" + e.getMessage() + ")");
        }
        bindReusing(context, artemis);
    }

    /**
     * Binds the factory, wrapped to keep one connection, and closes that connection when the context stops —
     * before a broker in the same process goes (services stop in the reverse order they were added).
     */
    public static void bindReusing(CamelContext context, ConnectionFactory factory) throws Exception {
        CachingConnectionFactory caching = (CachingConnectionFactory) reusing(factory);
        context.getRegistry().bind(CONNECTION_FACTORY, caching);
        context.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() {
                caching.destroy();
            }
        }, true, true);
    }

    /** Connects to the broker once (the start-up check). */
    static void check(CamelContext context) throws Exception {
        ConnectionFactory factory = context.getRegistry().lookupByNameAndType(CONNECTION_FACTORY, ConnectionFactory.class);
        try (Connection connection = factory.createConnection()) {
            connection.getMetaData();
        }
    }

    /** Keeps one connection and session open and reuses them; makes them again after a failure. */
    public static ConnectionFactory reusing(ConnectionFactory factory) {
        CachingConnectionFactory caching = new CachingConnectionFactory(factory);
        caching.setReconnectOnException(true);
        caching.setSessionCacheSize(4);
        return caching;
    }
}
