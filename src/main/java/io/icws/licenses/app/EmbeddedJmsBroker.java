package io.icws.licenses.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;

import io.icws.licenses.config.InvalidSettingException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code icws.notify.jms.broker-url=embedded}, the jar's own runtime only: an ActiveMQ Artemis broker inside
 * this process, reached in-VM, persistent in {@code icws.notify.jms.embedded-data-directory}, and on a loopback
 * TCP port ({@code icws.notify.jms.embedded-port}) so the demo's queue can be read from outside. Stops after the
 * routes. It starts in the background (most of a second, which the first subscription need not wait for):
 * {@link #connectionFactory()} waits for it, and {@link #awaitStarted(Duration)} says whether it came up.
 */
public final class EmbeddedJmsBroker extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedJmsBroker.class);
    private static final AtomicInteger NEXT_ID = new AtomicInteger();
    private static final int JOURNAL_BUFFER_TIMEOUT_NANOS = 100_000;
    private static final int PRODUCER_WINDOW_BYTES = 1024 * 1024;

    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
    private final String url;
    private final int tcpPort;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Path dataDirectory;

    /**
     * @param tcpPort a loopback TCP port to accept clients on besides in-VM (to read the queue with the Artemis CLI
     *                or any JMS client), or 0 for none
     */
    public EmbeddedJmsBroker(Path dataDirectory, int tcpPort) throws Exception {
        this.dataDirectory = dataDirectory;
        int id = NEXT_ID.getAndIncrement();
        this.url = "vm://" + id;
        Configuration config = new ConfigurationImpl()
                .setName("icws-embedded-" + id)
                .setSecurityEnabled(false)
                .setPersistenceEnabled(true)
                .setJournalDirectory(dataDirectory.resolve("journal").toString())
                .setBindingsDirectory(dataDirectory.resolve("bindings").toString())
                .setLargeMessagesDirectory(dataDirectory.resolve("large-messages").toString())
                .setPagingDirectory(dataDirectory.resolve("paging").toString())
                .setJMXManagementEnabled(false)
                // each send is still synced to disk before the broker answers; only the wait for other senders
                // to share that sync is cut (3.3 ms by default: one sender, one message, at most ~300 a second)
                .setJournalBufferTimeout_NIO(JOURNAL_BUFFER_TIMEOUT_NANOS)
                .addAcceptorConfiguration("in-vm", url)
                .addAddressSetting("#", new AddressSettings()
                        .setDeadLetterAddress(SimpleString.of("DLQ"))
                        .setExpiryAddress(SimpleString.of("ExpiryQueue")));
        if (tcpPort > 0) {
            config.addAcceptorConfiguration("loopback", "tcp://127.0.0.1:" + tcpPort);
        }
        this.tcpPort = tcpPort;
        broker.setConfiguration(config);
        Thread starting = new Thread(() -> {
            try {
                broker.start();
                LOG.debug("Embedded ActiveMQ Artemis broker started ({}, data in {})", url, dataDirectory);
                started.complete(null);
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        }, "icws-embedded-broker-start");
        starting.setDaemon(true);
        starting.start();
    }

    /** Waits until the broker is up; fails with why it could not start. */
    public void awaitStarted(Duration atMost) throws Exception {
        try {
            started.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new InvalidSettingException("icws.notify.jms.embedded-data-directory", "the embedded JMS broker did not "
                    + "start with its data in " + dataDirectory + " (" + e.getCause() + ")");
        } catch (TimeoutException e) {
            throw new IllegalStateException("The embedded JMS broker did not start within " + atMost.toSeconds() + " s");
        }
    }

    /** A connection factory for the in-VM URL whose connections wait (up to 30 s) until the broker is up. */
    public ConnectionFactory connectionFactory() {
        ActiveMQConnectionFactory inVm = new ActiveMQConnectionFactory(url);
        // the queue is looked up once, not asked of the broker (a blocking round trip) at every send
        inVm.setCacheDestinations(true);
        // a batch of the JMS target goes out without waiting on the broker for credits every few dozen messages
        // (64 KiB by default: 100 events of a batch waited about twice); memory is bounded by the batch size
        inVm.setProducerWindowSize(PRODUCER_WINDOW_BYTES);
        return new ConnectionFactory() {
            @Override
            public Connection createConnection() throws JMSException {
                ready();
                return inVm.createConnection();
            }

            @Override
            public Connection createConnection(String user, String password) throws JMSException {
                ready();
                return inVm.createConnection(user, password);
            }

            @Override
            public JMSContext createContext() {
                readyOrThrow();
                return inVm.createContext();
            }

            @Override
            public JMSContext createContext(String user, String password) {
                readyOrThrow();
                return inVm.createContext(user, password);
            }

            @Override
            public JMSContext createContext(String user, String password, int sessionMode) {
                readyOrThrow();
                return inVm.createContext(user, password, sessionMode);
            }

            @Override
            public JMSContext createContext(int sessionMode) {
                readyOrThrow();
                return inVm.createContext(sessionMode);
            }

            private void ready() throws JMSException {
                try {
                    awaitStarted(Duration.ofSeconds(30));
                } catch (Exception e) {
                    JMSException failure = new JMSException(e.getMessage());
                    failure.setLinkedException(e);
                    throw failure;
                }
            }

            private void readyOrThrow() {
                try {
                    ready();
                } catch (JMSException e) {
                    throw new JMSRuntimeException(e.getMessage());
                }
            }

            @Override
            public String toString() {
                return "embedded broker " + url;
            }
        };
    }

    /** The in-VM URL clients connect to. */
    public String url() {
        return url;
    }

    /** The loopback TCP URL of the broker, or null when it listens in-VM only. */
    public String tcpUrl() {
        return tcpPort > 0 ? "tcp://127.0.0.1:" + tcpPort : null;
    }

    @Override
    protected void doStop() throws Exception {
        try {
            started.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // did not start (said where it is awaited); stop what there is
        }
        broker.stop();
    }
}
