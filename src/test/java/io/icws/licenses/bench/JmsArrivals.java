package io.icws.licenses.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

import static org.awaitility.Awaitility.await;

/**
 * A JMS consumer on the jar's embedded Artemis broker (its loopback TCP acceptor): takes {@link System#nanoTime()}
 * first thing in {@code onMessage}, then keeps the message's properties {@code eventId}, {@code license} and
 * {@code changeType}.
 */
final class JmsArrivals implements AutoCloseable {

    /** One message, and when it arrived. */
    record Arrival(long nanos, String eventId, String license, String changeType) {
    }

    static final String QUEUE = "icws.license.changes";

    private final Connection connection;
    private final List<Arrival> arrivals = new ArrayList<>(); // guarded by itself
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();

    private JmsArrivals(Connection connection) {
        this.connection = connection;
    }

    /** Connects (retrying until the broker listens, within the timeout) and starts consuming. */
    static JmsArrivals connect(int port, Duration timeout) {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port);
        Connection c = await("JMS connection to tcp://127.0.0.1:" + port).atMost(timeout)
                .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(factory::createConnection, x -> x != null);
        JmsArrivals arrivals = new JmsArrivals(c);
        try {
            // DUPS_OK: acknowledgements in batches, so this consumer is never what slows the queue down
            Session session = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(session.createQueue(QUEUE));
            consumer.setMessageListener(arrivals::onMessage);
            c.start();
        } catch (JMSException e) {
            arrivals.close();
            throw new IllegalStateException("cannot consume " + QUEUE + ": " + e.getMessage(), e);
        }
        return arrivals;
    }

    private void onMessage(Message m) {
        long now = System.nanoTime();
        try {
            Arrival a = new Arrival(now, m.getStringProperty("eventId"), m.getStringProperty("license"),
                    m.getStringProperty("changeType"));
            synchronized (arrivals) {
                arrivals.add(a);
            }
        } catch (JMSException e) {
            failures.incrementAndGet();
            synchronized (arrivals) {
                arrivals.add(new Arrival(now, null, null, null));
            }
        }
        count.incrementAndGet();
    }

    int count() {
        return count.get();
    }

    int failures() {
        return failures.get();
    }

    List<Arrival> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    /** The n-th arrival (1-based). */
    Arrival nth(int n) {
        synchronized (arrivals) {
            return arrivals.get(n - 1);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (JMSException e) {
            // the broker may be gone already
        }
    }
}
