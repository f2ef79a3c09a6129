package io.icws.licenses.outbox;

import java.io.IOException;

/** Events could not be written to the outbox, or not made durable there: the disk refused. */
public final class OutboxWriteException extends RuntimeException {

    /** @param cause what the disk said; null when nothing was refused (the outbox closed, say) */
    public OutboxWriteException(String message, IOException cause) {
        super(cause == null ? message : message + ": " + cause.getMessage(), cause);
    }
}
