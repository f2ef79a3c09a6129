package io.icws.licenses.outbox;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.util.TimeUtils;

/**
 * One target's queue of the outbox, as a consumer endpoint. Options: how often a refused event is tried
 * again before it goes to the dead letters, and how long to wait between tries (doubled each time, up to
 * the maximum). In an outage of the target (see {@link TargetFailures}) the same waits apply, but the event is
 * tried for as long as the outage lasts and those attempts are not counted as tries.
 *
 * <p>{@code batchSize}: 0 (the default) hands the route one exchange per event, its body the
 * {@link io.icws.licenses.state.LicenseChangeEvent}; n &ge; 1 hands it one exchange per batch of up to n pending
 * events, its body a {@code List} of them in log order (no linger: what is pending, however few). A batch is taken
 * whole or not at all; in an outage it is held and sent again whole; when the target refuses it, its events are
 * sent again one at a time (each a list of one), so only the event refused goes to the dead letters.
 */
public class OutboxEndpoint extends DefaultEndpoint {

    private final String target;
    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private int maximumRedeliveries = 5;
    private long redeliveryDelay = 1000;
    private long maximumRedeliveryDelay = 30000;
    private int batchSize;

    OutboxEndpoint(String uri, OutboxComponent component, String target, Outbox outbox, DeadLetters deadLetters) {
        super(uri, component);
        if (!target.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("icws-outbox: the target name must be [a-z0-9][a-z0-9-]*, not '"
                    + target + "'");
        }
        this.target = target;
        this.outbox = outbox;
        this.deadLetters = deadLetters;
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("icws-outbox:" + target + " is a consumer endpoint only; events "
                + "enter the outbox through the icwsOutbox bean");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        OutboxConsumer consumer = new OutboxConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public boolean isRemote() {
        return false;
    }

    public String getTarget() {
        return target;
    }

    Outbox outbox() {
        return outbox;
    }

    DeadLetters deadLetters() {
        return deadLetters;
    }

    public int getMaximumRedeliveries() {
        return maximumRedeliveries;
    }

    /** Tries after the first before a refused event goes to the dead letters (outage attempts do not count). */
    public void setMaximumRedeliveries(int maximumRedeliveries) {
        this.maximumRedeliveries = maximumRedeliveries;
    }

    public long getRedeliveryDelay() {
        return redeliveryDelay;
    }

    /** Wait before the first redelivery: ms, or with a unit ({@code 2s}, {@code 1m}); doubled for each one after. */
    public void setRedeliveryDelay(String redeliveryDelay) {
        this.redeliveryDelay = TimeUtils.toMilliSeconds(redeliveryDelay);
    }

    public int getBatchSize() {
        return batchSize;
    }

    /** 0: one event per exchange (the body the event); n &ge; 1: up to n events per exchange (the body a list). */
    public void setBatchSize(int batchSize) {
        if (batchSize < 0) {
            throw new IllegalArgumentException("icws-outbox:" + target + ": batchSize must be 0 or more, not "
                    + batchSize);
        }
        this.batchSize = batchSize;
    }

    public long getMaximumRedeliveryDelay() {
        return maximumRedeliveryDelay;
    }

    /**
     * Longest wait between redeliveries, and between attempts in an outage: ms, or with a unit ({@code 30s},
     * {@code 1m}).
     */
    public void setMaximumRedeliveryDelay(String maximumRedeliveryDelay) {
        this.maximumRedeliveryDelay = TimeUtils.toMilliSeconds(maximumRedeliveryDelay);
    }
}
