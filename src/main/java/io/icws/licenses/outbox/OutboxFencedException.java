package io.icws.licenses.outbox;

/**
 * Another process committed for a connection this process believed it owned: two processes watch it (a
 * leadership that changed hands while this one was still committing). Nothing of this batch was written; the
 * connection starts again from the state the other process committed.
 */
public final class OutboxFencedException extends RuntimeException {

    private final String connection;

    OutboxFencedException(String connection, long expected, long found, String where) {
        super("connection " + connection + " was committed to by another process (its newest record in " + where
                + " is " + Math.max(found, 0) + ", this process last committed " + expected + "): another process "
                + "watches it too; check the cluster service");
        this.connection = connection;
    }

    public String connection() {
        return connection;
    }
}
