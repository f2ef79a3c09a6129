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

    /** Lets go of what the progress holds open (its value stays stored). */
    void close();
}
