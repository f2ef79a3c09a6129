package io.icws.licenses;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.icws.licenses.icws.IcwsConnection;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.spi.OnCamelContextStopping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the ICWS session when the CamelContext starts stopping — Ctrl-C or SIGTERM of the jar, or the
 * host runtime stopping the context — while routes and the HTTP component still run: it sends
 * {@code direct:icws-disconnect} (DELETE the subscription, then DELETE the connection) and waits at most
 * {@code icws.shutdown.timeout}. A dead server cannot make shutdown hang: the wait is bounded and each
 * request has its own connect and response time-outs.
 */
public final class IcwsShutdown implements OnCamelContextStopping {

    private static final Logger LOG = LoggerFactory.getLogger(IcwsShutdown.class);

    private final IcwsConnection connection;
    private final Duration timeout;

    public IcwsShutdown(IcwsConnection connection, Duration timeout) {
        this.connection = connection;
        this.timeout = timeout;
    }

    @Override
    public void onContextStopping(CamelContext context) {
        connection.close();
        if (!connection.hasSession()) {
            return;
        }
        try (ProducerTemplate producer = context.createProducerTemplate()) {
            CompletableFuture<Object> done = producer.asyncRequestBody("direct:icws-disconnect", null);
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Unsubscribed and logged out of ICWS");
        } catch (TimeoutException e) {
            LOG.warn("ICWS did not answer the log-out within icws.shutdown.timeout ({} ms); stopping anyway",
                    timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Could not log out of ICWS ({}); stopping anyway", rootMessage(e));
        } finally {
            connection.dropSession("stopped");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
