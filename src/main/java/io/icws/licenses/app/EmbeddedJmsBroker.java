package io.icws.licenses.app;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code icws.notify.jms.broker-url=embedded}, the jar's own runtime only: an ActiveMQ Artemis broker inside
 * this process, reached in-VM, persistent in {@code icws.notify.jms.embedded-data-directory}, and on a loopback
 * TCP port ({@code icws.notify.jms.embedded-port}) so the demo's queue can be read from outside. Stops after the
 * routes.
 */
public final class EmbeddedJmsBroker extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedJmsBroker.class);
    private static final AtomicInteger NEXT_ID = new AtomicInteger();

    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
    private final String url;
    private final int tcpPort;

    /**
     * @param tcpPort a loopback TCP port to accept clients on besides in-VM (to read the queue with the Artemis CLI
     *                or any JMS client), or 0 for none
     */
    public EmbeddedJmsBroker(Path dataDirectory, int tcpPort) throws Exception {
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
                .addAcceptorConfiguration("in-vm", url)
                .addAddressSetting("#", new AddressSettings()
                        .setDeadLetterAddress(SimpleString.of("DLQ"))
                        .setExpiryAddress(SimpleString.of("ExpiryQueue")));
        if (tcpPort > 0) {
            config.addAcceptorConfiguration("loopback", "tcp://127.0.0.1:" + tcpPort);
        }
        this.tcpPort = tcpPort;
        broker.setConfiguration(config);
        broker.start();
        LOG.debug("Embedded ActiveMQ Artemis broker started ({}, data in {})", url, dataDirectory);
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
        broker.stop();
    }
}
