package io.icws.licenses.outbox;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.SafeText;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.util.TimeUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one target's outbox queue through its route, one event at a time, in order. A failure is sorted by
 * {@link TargetFailures}:
 * <ul>
 * <li>an <b>outage</b> (refused, unreachable, time-out, disk, broker down, SMTP 4xx) holds the queue: the same
 * event is tried again after a wait (from the redelivery delay, doubled each time, up to the maximum) for as
 * long as the outage lasts, and never goes to the dead letters for it; one line says when the target is
 * back;</li>
 * <li>a <b>refusal</b> (the target rejects this event) is tried again the same way, and after the last of the
 * tries the event goes to the dead letters and the next event follows. Outage attempts are not tries.</li>
 * </ul>
 * Only this target waits meanwhile: every target has its own queue and thread.
 *
 * <p>With {@code batchSize} n &ge; 1 the route gets up to n pending events in one exchange (its body a list, in
 * order) and the cursor moves past all of them once the route has taken the exchange. An outage holds the batch
 * and sends it again whole, with the same ids; a refusal (or any failure that is not an outage) sends the batch's
 * events again one at a time, each in a list of one, with the tries and dead letters above for each: only the
 * event the target refuses goes to the dead letters. So a route that sends a batch in one transaction (the JMS
 * target) never has part of a batch delivered and part not.
 *
 * <p>When the route stops, a wait between tries ends at once and the event stays in the outbox for the next
 * start; nothing is dropped and no stack trace is printed. Every log line names the target, the change and
 * the event id.
 */
final class OutboxConsumer extends DefaultConsumer {

    /** Header with the event id, for the target route. */
    static final String EVENT_ID_HEADER = "IcwsEventId";
    /** Header with the attempt number (1 for the first). */
    static final String ATTEMPT_HEADER = "IcwsDeliveryAttempt";

    private static final Logger LOG = LoggerFactory.getLogger(OutboxConsumer.class);
    /** In a long outage, at most one line this often once the wait has stopped growing. */
    private static final Duration OUTAGE_LOG_EVERY = Duration.ofMinutes(1);

    private final OutboxEndpoint endpoint;
    private final String target;
    private volatile boolean running;
    private TargetQueue queue;
    private io.icws.licenses.observe.IcwsObserver observer;
    private TargetHealthCheck health;
    private ExecutorService worker;
    private Future<?> loop;
    /** When the last WARN line of the current outage was written (only the delivery thread uses it). */
    private Instant lastOutageLine;

    OutboxConsumer(OutboxEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.target = endpoint.getTarget();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        observer = io.icws.licenses.observe.IcwsObserver.of(getEndpoint().getCamelContext());
        endpoint.outbox().start(); // the first user opens it
        try {
            queue = endpoint.outbox().queue(target);
        } catch (RuntimeException e) {
            endpoint.outbox().stop(); // not a user after all
            throw e;
        }
        observer.targetStarted(target); // its meters, now that it runs here
        health = new TargetHealthCheck(queue);
        HealthCheckRegistry registry = HealthCheckRegistry.get(getEndpoint().getCamelContext());
        if (registry != null && !registry.register(health)) {
            LOG.warn("Target {}: health check {} not registered: another check has that name", target, health.getId());
        }
        running = true;
        worker = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newSingleThreadExecutor(this, "icws-target-" + target);
        loop = worker.submit(this::deliverForever);
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        if (queue != null) {
            queue.stopWaiting();
        }
        if (loop != null) {
            Instant deadline = ((OutboxComponent) endpoint.getComponent()).stopDeadline();
            try {
                // an attempt under way may finish (its target has its own time-outs) until the stop's deadline
                // (icws.shutdown.timeout, shared by every target); a wait between tries ends now
                loop.get(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warn("Target {}: a delivery is still under way at the end of icws.shutdown.timeout; stopping "
                        + "without it (the event stays in the outbox)", target);
            } catch (Exception e) {
                LOG.debug("Target {} delivery loop ended: {}", target, e.toString());
            }
        }
        if (worker != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(worker);
        }
        if (queue != null) {
            endpoint.outbox().release(queue);
            queue = null;
            endpoint.outbox().stop(); // the last user closes it
        }
        HealthCheckRegistry registry = HealthCheckRegistry.get(getEndpoint().getCamelContext());
        if (registry != null && health != null) {
            registry.unregister(health);
        }
        super.doStop();
    }

    private void deliverForever() {
        int batchSize = endpoint.getBatchSize();
        try {
            while (running) {
                if (batchSize > 0) {
                    List<Outbox.Entry> batch = queue.nextBatch(batchSize, 1, TimeUnit.SECONDS);
                    if (!batch.isEmpty() && running) {
                        try {
                            deliverBatch(batch);
                        } catch (RuntimeException e) {
                            LOG.error("Target {}: a batch of {} event(s) from {} could not be handled ({}); trying "
                                    + "it again", target, batch.size(), batch.get(0).event().id(), Failures.describe(e));
                            queue.pause(endpoint.getMaximumRedeliveryDelay(), TimeUnit.MILLISECONDS);
                        }
                    }
                    continue;
                }
                Outbox.Entry entry = queue.next(1, TimeUnit.SECONDS);
                if (entry != null && running) {
                    try {
                        deliver(entry, false);
                    } catch (RuntimeException e) {
                        // one event must not end the target's deliveries: it is tried again after a pause
                        LOG.error("Target {}: event {} could not be handled ({}); trying it again", target,
                                entry.event().id(), Failures.describe(e));
                        queue.pause(endpoint.getMaximumRedeliveryDelay(), TimeUnit.MILLISECONDS);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("Target {}: delivery stopped by an unexpected failure: {}", target, Failures.describe(e), e);
        }
    }

    /**
     * Sends the batch in one exchange until the target takes it or the route stops; an outage holds it (sent again
     * whole, same ids). Any other failure sends its events again one at a time ({@link #deliver}), so that only
     * the event the target refuses ends in the dead letters.
     */
    private void deliverBatch(List<Outbox.Entry> batch) throws InterruptedException {
        if (batch.size() == 1) {
            deliver(batch.get(0), true);
            return;
        }
        List<LicenseChangeEvent> events = batch.stream().map(Outbox.Entry::event).toList();
        Outbox.Entry head = batch.get(0);
        int outageAttempts = 0;
        for (int attempt = 1; running; attempt++) {
            Exception failure = attempt(events, null, attempt);
            if (!running) {
                return; // the route is stopping: the batch stays in the outbox
            }
            TargetFailures.Kind kind = failure == null ? null : TargetFailures.classify(failure);
            if (kind != TargetFailures.Kind.OUTAGE) {
                backFromOutage();
            }
            if (failure == null) {
                taken(batch);
                for (LicenseChangeEvent event : events) {
                    observer.delivered(target, event);
                }
                return;
            }
            String reason = Failures.describe(failure);
            if (kind == TargetFailures.Kind.OUTAGE) {
                outageAttempts++;
                queue.outage(head, reason, outageAttempts);
                long wait = outageDelay(outageAttempts);
                logOutage(head.event(), reason, outageAttempts, wait);
                if (queue.pause(wait, TimeUnit.MILLISECONDS)) {
                    return;
                }
                continue;
            }
            LOG.warn("Target {} refused a batch of {} events from {} ({}): {}; sending them one at a time", target,
                    batch.size(), head.event().id(), describe(head.event()), reason);
            for (Outbox.Entry entry : batch) {
                if (!running) {
                    return;
                }
                deliver(entry, true);
            }
            return;
        }
    }

    /**
     * Tries the event until the target takes it, it goes to the dead letters, or the route stops. An outage
     * (see {@link TargetFailures}) holds it for as long as it lasts; only refusals count towards the tries.
     *
     * @param asList the body is a list of this one event (a route that takes batches), not the event
     */
    private void deliver(Outbox.Entry entry, boolean asList) throws InterruptedException {
        LicenseChangeEvent event = entry.event();
        int tries = endpoint.getMaximumRedeliveries() + 1;
        int refusals = 0;
        int outageAttempts = 0;
        for (int attempt = 1; running; attempt++) {
            Exception failure = attempt(asList ? List.of(event) : event, event.id(), attempt);
            if (!running) {
                return; // the route is stopping: the event stays in the outbox
            }
            TargetFailures.Kind kind = failure == null ? null : TargetFailures.classify(failure);
            if (kind != TargetFailures.Kind.OUTAGE) {
                backFromOutage(); // it answered: took the event, or refused it
            }
            if (failure == null) {
                if (taken(entry, false) && refusals > 0) {
                    LOG.info("Target {} took event {} ({}) at attempt {}", target, event.id(), describe(event),
                            attempt);
                }
                observer.delivered(target, event); // icws_delivery_seconds
                return;
            }
            String reason = Failures.describe(failure);
            if (kind == TargetFailures.Kind.OUTAGE) {
                outageAttempts++;
                queue.outage(entry, reason, outageAttempts);
                long wait = outageDelay(outageAttempts);
                logOutage(event, reason, outageAttempts, wait);
                if (queue.pause(wait, TimeUnit.MILLISECONDS)) {
                    return;
                }
                continue;
            }
            refusals++;
            queue.refused(entry, reason, refusals);
            if (refusals >= tries) {
                if (deadLetter(entry, reason, refusals)) {
                    return;
                }
            } else {
                long wait = delay(refusals);
                LOG.warn("Target {} refused event {} ({}): {}; attempt {} of {}, next in {} ms", target,
                        event.id(), describe(event), reason, refusals, tries, wait);
                if (queue.pause(wait, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        }
    }

    /**
     * The wait after the n-th attempt of an outage: the redelivery delay, doubled each time, up to the maximum
     * (at least 10 ms, so that a delay of 0 cannot spin against a target that is down).
     */
    private long outageDelay(int attempt) {
        long max = Math.max(endpoint.getMaximumRedeliveryDelay(), 10);
        double wait = Math.max(endpoint.getRedeliveryDelay(), 10) * Math.pow(2, attempt - 1);
        return (long) Math.min(wait, max);
    }

    /** One WARN per attempt while the wait grows; once it is at its maximum, at most one line a minute. */
    private void logOutage(LicenseChangeEvent event, String reason, int attempt, long wait) {
        Instant now = Instant.now();
        TargetQueue.Status status = queue.status();
        boolean growing = attempt == 1 || wait > outageDelay(attempt - 1);
        if (growing) {
            boolean atMaximum = wait >= Math.max(endpoint.getMaximumRedeliveryDelay(), 10);
            LOG.warn("Target {} cannot be reached ({}); {} event(s) wait in the outbox, the first {} ({}); attempt {}, "
                    + "next in {} ms{}", target, reason, status.depth(), event.id(), describe(event), attempt, wait,
                    atMaximum ? "; further attempts are logged once a minute until it is back" : "");
            lastOutageLine = now;
        } else if (lastOutageLine == null || Duration.between(lastOutageLine, now).compareTo(OUTAGE_LOG_EVERY) >= 0) {
            LOG.warn("Target {} still cannot be reached{} ({}); {} event(s) waiting; attempt {}, one every {} ms",
                    target, status.failingSince() == null ? ""
                            : " after " + took(Duration.between(status.failingSince(), now)),
                    reason, status.depth(), attempt, wait);
            lastOutageLine = now;
        } else {
            LOG.debug("Target {} still cannot be reached ({}); attempt {}", target, reason, attempt);
        }
    }

    /** After an outage, the target answered again (took the event, or refused it): one line says so. */
    private void backFromOutage() {
        TargetQueue.Status status = queue.status();
        if (status.state() == TargetQueue.State.OUTAGE) {
            Instant since = status.failingSince();
            LOG.info("Target {} is back{}; {} event(s) waiting", target,
                    since == null ? "" : " after " + took(Duration.between(since, Instant.now())), status.depth());
            lastOutageLine = null;
        }
    }

    /** "850ms", "12s", "3m12s", "1h2m". */
    static String took(Duration duration) {
        long millis = Math.max(0, duration.toMillis());
        return millis < 1000 ? millis + "ms" : TimeUtils.printDuration(millis, false);
    }

    /** One attempt; the failure, or null when the route took the exchange. */
    private Exception attempt(Object body, String eventId, int attempt) {
        Exchange exchange = createExchange(false);
        try {
            exchange.getMessage().setBody(body);
            if (eventId != null) {
                exchange.getMessage().setHeader(EVENT_ID_HEADER, eventId);
            }
            exchange.getMessage().setHeader(ATTEMPT_HEADER, attempt);
            getProcessor().process(exchange);
            return exchange.getException();
        } catch (Exception e) {
            return e;
        } finally {
            releaseExchange(exchange, false);
        }
    }

    /** Keeps the event in the dead letters and moves on; false if even that failed (tried again later). */
    private boolean deadLetter(Outbox.Entry entry, String reason, int attempts) throws InterruptedException {
        LicenseChangeEvent event = entry.event();
        try {
            Path file = endpoint.deadLetters().keepEvent(target, event,
                    "target " + target + " refused it " + attempts + " times; last: " + reason);
            taken(entry, true);
            LOG.error("Target {} refused event {} ({}) {} times ({}); it is in the dead letters: {}. To send it again, "
                    + "move the file into {}", target, event.id(), describe(event), attempts, reason, file,
                    endpoint.deadLetters().directory().resolve(DeadLetters.REPLAY_FOLDER));
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.error("Target {} refused event {} ({}) and it cannot be written to the dead letters either ({}); "
                    + "it stays in the outbox and is tried again", target, event.id(), describe(event),
                    Failures.describe(e));
            queue.pause(endpoint.getMaximumRedeliveryDelay(), TimeUnit.MILLISECONDS);
            return false;
        }
    }

    private boolean taken(Outbox.Entry entry, boolean deadLetter) {
        try {
            queue.taken(entry, deadLetter);
            return true;
        } catch (IOException e) {
            // the cursor could not be written: the event may come again after a restart, with its id
            LOG.warn("Target {}: could not record that event {} was taken ({})", target, entry.event().id(),
                    Failures.describe(e));
            return true;
        }
    }

    private void taken(List<Outbox.Entry> batch) {
        try {
            queue.taken(batch);
        } catch (IOException e) {
            // the cursor could not be written: the batch may come again after a restart, with its ids
            LOG.warn("Target {}: could not record that the {} event(s) from {} were taken ({})", target, batch.size(),
                    batch.get(0).event().id(), Failures.describe(e));
        }
    }

    /** The wait after a refusal: the redelivery delay, doubled for each one after, up to the maximum. */
    private long delay(int attempt) {
        double wait = endpoint.getRedeliveryDelay() * Math.pow(2, attempt - 1);
        return (long) Math.min(wait, endpoint.getMaximumRedeliveryDelay());
    }

    /** "unassigned I3_ACCESS_CLIENT for agent1 on cic1:8019", safe for a log line; never fails. */
    static String describe(LicenseChangeEvent event) {
        String change;
        try {
            change = String.valueOf(event.changeType());
        } catch (RuntimeException e) {
            change = "change of type " + event.type();
        }
        return SafeText.line(change + " " + event.license() + " for " + event.user() + " on " + event.server(), 300);
    }
}
