package io.icws.licenses.notify;

import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.config.Secrets;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import org.apache.camel.CamelContext;
import org.springframework.jms.connection.CachingConnectionFactory;
import org.springframework.jms.connection.JmsTransactionManager;

/**
 * The JMS connection of the JMS target, as the bean {@code icwsJmsConnectionFactory} the route names. A host
 * that binds its own {@link ConnectionFactory} under that name (any broker) keeps it as it is (pooling is then
 * the host's: a bare factory opens a connection per message); otherwise one is made for
 * {@code icws.notify.jms.broker-url} with the ActiveMQ Artemis client (add
 * {@code org.apache.activemq:artemis-jakarta-client}) and wrapped so that one connection and its session are
 * kept and reused, and made again after a failure.
 *
 * <p>The route sends a batch of events in one local JMS transaction: {@code transacted} with the policy
 * {@code icwsJmsTransaction} ({@link JmsBatchTransaction} over a Spring {@link JmsTransactionManager} on this
 * factory; camel-jms brings spring-jms), then the bean {@code icwsJmsSender} ({@link JmsBatchSender}), which
 * sends one message per event on the session the manager bound to the thread and leaves the
 * commit to the manager: committed once at the end of the route (one broker round trip and one journal sync for
 * the batch), or rolled back when any send failed: the batch is on the queue whole or not at all. A host that
 * binds its own {@code icwsJmsTransaction} or {@code icwsJmsSender} keeps it.
 */
public final class JmsTarget {

    /** Registry name of the target's connection factory. */
    public static final String CONNECTION_FACTORY = "icwsJmsConnectionFactory";
    /** {@code icws.notify.jms.broker-url} of the broker inside the jar's own runtime. */
    public static final String EMBEDDED = "embedded";
    /** Registry name of the transaction policy the route's {@code transacted} step names. */
    public static final String TRANSACTION = "icwsJmsTransaction";

    private JmsTarget() {
    }

    public static void bind(CamelContext context, IcwsSettings.Targets targets, Secrets secrets) throws Exception {
        if (context.getRegistry().lookupByName(CONNECTION_FACTORY) != null) {
            bindTransaction(context, targets.jmsDestination());
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
            if (!url.contains("cacheDestinations")) {
                // the queue is looked up once, not asked of the broker (a blocking round trip) at every send
                factory.setCacheDestinations(true);
            }
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
        bindTransaction(context, targets.jmsDestination());
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

    /**
     * Binds {@code icwsJmsTransaction} (unless bound already): local JMS transactions on the bound
     * {@code icwsJmsConnectionFactory}, one per exchange of the JMS target's route; and {@code icwsJmsSender}
     * ({@link JmsBatchSender} to the queue {@code destination}, unless bound), which sends the exchange's events
     * on the transaction's session.
     */
    public static void bindTransaction(CamelContext context, String destination) {
        ConnectionFactory factory = context.getRegistry().lookupByNameAndType(CONNECTION_FACTORY,
                ConnectionFactory.class);
        if (factory == null) {
            throw new IllegalStateException("No " + CONNECTION_FACTORY + " bound for the JMS target's transactions");
        }
        if (context.getRegistry().lookupByName(JmsBatchSender.BEAN) == null) {
            context.getRegistry().bind(JmsBatchSender.BEAN, new JmsBatchSender(factory, destination));
        }
        if (context.getRegistry().lookupByName(TRANSACTION) != null) {
            return;
        }
        JmsTransactionManager manager = new JmsTransactionManager(factory);
        manager.afterPropertiesSet();
        context.getRegistry().bind(TRANSACTION, new JmsBatchTransaction(manager));
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
