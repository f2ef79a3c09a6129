package io.icws.licenses.outbox;

import java.io.IOException;

/** Events could not be written to the outbox, or not made durable there: the disk refused. */
public final class OutboxWriteException extends RuntimeException {

    public OutboxWriteException(String message, IOException cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
