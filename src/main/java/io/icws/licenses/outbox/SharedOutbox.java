package io.icws.licenses.outbox;

import java.io.IOException;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle both stores share: the outbox is open while it has users ({@link #start()} / {@link #stop()}: a
 * connection's consumer, a target's consumer, the replay), so a process that only stands by never reads or writes
 * the store; the CamelContext closes it, if still open, when it stops ({@link #asService()}). Not a Camel service
 * itself on purpose: routes call it as a bean, and Camel stops the services of a route's beans with the route.
 */
abstract class SharedOutbox implements Outbox {

    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    /** How many users have it open; guarded by this. */
    private int users;
    private volatile String problem;
    private volatile Instant problemSince;

    /** The first user starts: opens the store. */
    abstract void open() throws IOException;

    /** The last user stopped, or the context stops: closes the store (what is committed stays in it). */
    abstract void close() throws IOException;

    @Override
    public final synchronized void start() throws IOException {
        if (users++ > 0) {
            return;
        }
        try {
            open();
        } catch (IOException | RuntimeException e) {
            users--;
            throw e;
        }
    }

    @Override
    public final synchronized void stop() throws IOException {
        if (users == 0 || --users > 0) {
            return;
        }
        close();
    }

    @Override
    public final org.apache.camel.Service asService() {
        SharedOutbox outbox = this;
        return new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() throws IOException {
                synchronized (outbox) {
                    if (outbox.users > 0) {
                        outbox.users = 0;
                        outbox.close();
                    }
                }
            }
        };
    }

    @Override
    public final String problem() {
        return problem;
    }

    @Override
    public final Instant problemSince() {
        return problemSince;
    }

    /** Something failed: logged once when the store starts failing, kept for health and the status page. */
    final String failing(String problem) {
        if (this.problem == null) {
            problemSince = Instant.now();
            LOG.error("Outbox: {}", problem);
        }
        this.problem = problem;
        return problem;
    }

    /** The store takes everything again: said once. */
    final void working(String what) {
        if (problem != null) {
            LOG.info("Outbox {} again", what);
            problem = null;
            problemSince = null;
        }
    }
}
