package io.icws.licenses.watch;

import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Commits or rolls back a batch when its exchange completes, as camel-file's consumer commits or rolls back a
 * file on completion: the route only says what the messages mean; the consumer owns the unit of work.
 */
final class BatchCompletion extends SynchronizationAdapter {

    private final LicenseWatch watch;
    private final LicenseBatch batch;

    BatchCompletion(LicenseWatch watch, LicenseBatch batch) {
        this.watch = watch;
        this.batch = batch;
    }

    @Override
    public void onComplete(Exchange exchange) {
        watch.commit(batch, exchange);
    }

    @Override
    public void onFailure(Exchange exchange) {
        watch.rollback(batch, exchange);
    }
}
