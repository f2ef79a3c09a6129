package io.icws.licenses.observe;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.icws.SessionEvents;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.state.ChangeType;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.CamelContext;

/**
 * What one connection counts, as plain numbers (no Micrometer here: {@link IcwsMeters} reads them when the host has
 * a registry): log-ins, server switches, license messages by receive mode, committed changes by type, and the time
 * of the last message. {@link LicenseWatch} owns one and tells it with one-line calls; the session tells it through
 * {@link SessionEvents}, by way of the receiver this class wraps.
 */
public final class ConnectionStats {

    private final LongAdder logins = new LongAdder();
    private final LongAdder switches = new LongAdder();
    private final LongAdder sseMessages = new LongAdder();
    private final LongAdder pollMessages = new LongAdder();
    private final Map<ChangeType, LongAdder> changes = Map.of(ChangeType.OBSERVED, new LongAdder(),
            ChangeType.ASSIGNED, new LongAdder(), ChangeType.UNASSIGNED, new LongAdder());
    private volatile Instant lastMessage;
    private volatile URI lastAttempted;
    private volatile IcwsObserver observer;
    private volatile LicenseWatch watch;

    /**
     * The connection starts: it joins its context's {@link IcwsObserver} (meters, console, status page).
     *
     * @return the receiver to give the session: the same one, also counting the session's events
     */
    public IcwsConnection.Receiver start(LicenseWatch watch, CamelContext context, IcwsConnection.Receiver receiver) {
        this.watch = watch;
        IcwsObserver o = IcwsObserver.of(context);
        observer = o;
        o.connectionStarted(watch);
        return new CountingReceiver(receiver);
    }

    /** The connection stopped: its meters go. */
    public void stopped() {
        IcwsObserver o = observer;
        LicenseWatch w = watch;
        if (o != null && w != null) {
            o.connectionStopped(w);
        }
    }

    /** A license message arrived, received in this mode (null: not known yet, counted as polling). */
    public void message(IcwsConnection.Status status) {
        lastMessage = Instant.now();
        (status != null && status.mode() == IcwsConnection.Mode.SSE ? sseMessages : pollMessages).increment();
    }

    /** A batch was committed: its changes are counted and join the recent changes. */
    public void committed(List<Outbox.Entry> entries) {
        for (Outbox.Entry entry : entries) {
            try {
                changes.get(ChangeType.fromValue(entry.event().data().changeType())).increment();
            } catch (RuntimeException e) {
                // not one of the three types: not counted (no label from elsewhere)
            }
        }
        IcwsObserver o = observer;
        if (o != null) {
            o.committed(entries);
        }
    }

    public long logins() {
        return logins.sum();
    }

    public long serverSwitches() {
        return switches.sum();
    }

    public long messages(IcwsConnection.Mode mode) {
        return (mode == IcwsConnection.Mode.SSE ? sseMessages : pollMessages).sum();
    }

    public long changes(ChangeType type) {
        return changes.get(type).sum();
    }

    /** When the last license message arrived, or null. */
    public Instant lastMessage() {
        return lastMessage;
    }

    private void connecting(URI server) {
        URI previous = lastAttempted;
        if (previous != null && !previous.equals(server)) {
            switches.increment();
        }
        lastAttempted = server;
    }

    /** The connection's receiver, unchanged, plus the session's events counted here. */
    private final class CountingReceiver implements IcwsConnection.Receiver, SessionEvents {

        private final IcwsConnection.Receiver delegate;

        CountingReceiver(IcwsConnection.Receiver delegate) {
            this.delegate = delegate;
        }

        @Override
        public void deliver(String messages, long session) {
            delegate.deliver(messages, session);
        }

        @Override
        public void poll(long session, Runnable done) {
            delegate.poll(session, done);
        }

        @Override
        public void cutPolls() {
            delegate.cutPolls();
        }

        @Override
        public void connecting(URI server) {
            ConnectionStats.this.connecting(server);
        }

        @Override
        public void loggedIn(URI server) {
            logins.increment();
        }
    }
}
