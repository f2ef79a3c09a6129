package io.icws.licenses.watch;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.icws.IcwsSession;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.SerialExecutor;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer of {@code icws:<connection>}: thin, as Camel consumers of long-lived subscriptions are; the
 * connection's mechanics are in {@link LicenseWatch} and {@link IcwsConnection}. It hands each message batch
 * (or polling tick) to the route on the connection's own lane, one at a time and in order, on the pool all
 * connections share. Starting it logs in; stopping it unsubscribes and logs out, bounded by
 * {@code icws.shutdown.timeout}.
 *
 * <p>A poll blocks on the server (the route's camel-http call is synchronous), so it does not run on the shared
 * pool: its exchange runs on the pool of the session's server ({@link IcwsComponent#pollPool}), while the lane is
 * held — nothing else of the connection runs until the exchange completed (its batch committed or rolled back),
 * yet no thread of the shared pool waits for it. A hung server then holds only its own pool's threads: the
 * connections of other servers poll and stream on as before.
 */
final class IcwsConsumer extends DefaultConsumer implements IcwsConnection.Receiver {

    private static final Logger LOG = LoggerFactory.getLogger(IcwsConsumer.class);

    private final IcwsEndpoint endpoint;
    private static final Duration CLOSE_GRACE = Duration.ofMillis(300);

    private final LicenseWatch watch;
    private SerialExecutor lane;
    /** The poll given to a server's pool and not over yet, or null. */
    private volatile PollRun pending;

    IcwsConsumer(IcwsEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.watch = endpoint.getWatch();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        IcwsComponent component = endpoint.getComponent();
        lane = new SerialExecutor(component.receivePool(), watch.id());
        watch.start(this, component, lane);
    }

    @Override
    protected void doStop() throws Exception {
        IcwsComponent component = endpoint.getComponent();
        Instant deadline = component.deadline();
        // the log-out's requests time out at the deadline and say so themselves; this wait ends a little later
        // (one instant shared by every connection) and speaks only when the connection could not even do that
        Instant givenUp = deadline.plus(CLOSE_GRACE);
        try {
            watch.close(deadline, component.closingAll()).get(Math.max(1, Duration.between(Instant.now(), givenUp).toMillis()),
                    TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (component.closingAll()) {
                // the context stops: the component tells how many, once
                LOG.debug("Connection {}: not closed within icws.shutdown.timeout; stopping anyway", watch.id());
            } else {
                LOG.warn("Connection {}: not closed within icws.shutdown.timeout ({} ms); stopping anyway", watch.id(),
                        component.shutdownTimeout().toMillis());
            }
        } finally {
            watch.stopped(component);
            super.doStop();
        }
    }

    @Override
    public void deliver(String messages, long session) {
        // the lane's turn lasts until the batch is committed (durable) or rolled back; no thread waits for the sync
        lane.executeHeld(() -> route(messages, session, false), null);
    }

    @Override
    public void poll(long session, Runnable done) {
        try {
            lane.executeHeld(() -> {
                PollRun run = new PollRun(session, done);
                IcwsSession current = watch.session();
                if (current == null) {
                    run.run(); // no session: the route finds out at once (preparePoll fails), nothing waits
                    return run.finished;
                }
                pending = run;
                try {
                    Executor serverPool = endpoint.getComponent().pollPool(current.server());
                    serverPool.execute(run);
                } catch (RejectedExecutionException e) {
                    run.abandon(); // the component is stopping
                } catch (RuntimeException | Error e) {
                    run.abandon(); // the connection hears the poll is over, whatever went wrong here
                    throw e;
                }
                return run.finished;
            }, done);
        } catch (RejectedExecutionException e) {
            // done has run: the lane no longer runs tasks
        }
    }

    @Override
    public void cutPolls() {
        watch.cutPolls(); // a poll under way fails now
        PollRun run = pending;
        if (run != null) {
            run.abandon(); // one still waiting for a thread of its server's pool is not run
        }
    }

    /**
     * One poll on its server's pool. Its lane is held until {@link #finished} completes: when the exchange is over,
     * or at once when the poll is abandoned before it began (a close, or the pool shut down).
     */
    final class PollRun implements Runnable, IcwsComponent.Abandonable {
        private static final int WAITING = 0;
        private static final int RUNNING = 1;
        private static final int OVER = 2;

        private final long session;
        private final Runnable done;
        private final AtomicInteger state = new AtomicInteger(WAITING);
        final CompletableFuture<Void> finished = new CompletableFuture<>();

        PollRun(long session, Runnable done) {
            this.session = session;
            this.done = done;
        }

        @Override
        public void run() {
            if (!state.compareAndSet(WAITING, RUNNING)) {
                return;
            }
            CompletableFuture<?>[] ended = new CompletableFuture<?>[1];
            try {
                lane.runInHeldTurn(() -> ended[0] = route(null, session, true));
            } finally {
                if (ended[0] == null) {
                    over();
                }
            }
            if (ended[0] != null) {
                ended[0].whenComplete((ok, failure) -> over()); // once the batch is committed or rolled back
            }
        }

        @Override
        public void abandon() {
            if (state.compareAndSet(WAITING, RUNNING)) {
                over();
            }
        }

        private void over() {
            state.set(OVER);
            if (pending == this) {
                pending = null;
            }
            try {
                done.run(); // queued on the lane first, so the connection's next step follows at once
            } finally {
                finished.complete(null);
            }
        }
    }

    /**
     * One batch, one exchange: the consumer begins the batch, the route handles its messages, and the batch is
     * committed when the exchange completes, or rolled back when it fails ({@link BatchCompletion}).
     */
    private CompletableFuture<Void> route(String messages, long session, boolean poll) {
        if (!isRunAllowed()) {
            return CompletableFuture.completedFuture(null);
        }
        Exchange exchange = createExchange(false);
        LicenseBatch batch = watch.begin(session);
        exchange.setProperty(LicenseBatch.PROPERTY, batch);
        exchange.getExchangeExtension().addOnCompletion(new BatchCompletion(watch, batch));
        if (poll) {
            exchange.getMessage().setHeader(LicenseWatch.POLL_HEADER, true);
        } else {
            exchange.getMessage().setBody(messages);
        }
        try {
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        Exception failure = exchange.getException();
        if (failure != null) {
            // rolled back: its changes come again from the next snapshot (after a restart too)
            if (isRunAllowed() && !isStoppingOrStopped()) {
                LOG.warn("Connection {}: a batch of messages was not handled ({}); subscribing again", watch.id(),
                        Failures.describe(failure));
            } else {
                LOG.debug("Connection {}: a batch cut short by the stop ({})", watch.id(), Failures.describe(failure));
            }
        }
        releaseExchange(exchange, false);
        return batch.end();
    }
}
