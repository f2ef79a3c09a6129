package io.icws.licenses.outbox;

import java.io.IOException;

/**
 * What one target has taken, as its store keeps it: a cursor file ({@link Cursor}: one sequence, the file store's
 * one log) or rows of a table (one sequence per connection, the database store).
 */
interface TargetProgress {

    /** True when the target has taken this event already (delivered, or sent to the dead letters). */
    boolean hasTaken(Outbox.Entry entry);

    /** The target has the event: the progress moves past it, durably. */
    void advance(Outbox.Entry entry) throws IOException;

    /** The target has these events, in queue order: the progress moves past them (one write where it can). */
    default void advance(java.util.List<Outbox.Entry> entries) throws IOException {
        for (Outbox.Entry entry : entries) {
            advance(entry);
        }
    }

    /** Lets go of what the progress holds open (its value stays stored). */
    void close();
}
