package io.icws.licenses.outbox;

import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

import io.icws.licenses.state.LicenseChangeEvent;

/**
 * Where committed batches wait until each target has their events: the transactional outbox. A batch — its
 * change events and the license state it leaves — is committed in one step ({@link #commit(String, String, List)}),
 * and only then are its events handed to the target queues ({@link #queue(String)}); a target moves past an event
 * only once it has it (or it went to the dead letters).
 *
 * <p>Two stores, one contract ({@code icws.store}):
 * <ul>
 *   <li>{@link FileOutbox} ({@code file}, the default): segment files and a cursor file per target in
 *       {@code icws.outbox.directory}, one append + fsync per batch; the process that owns the data folder owns
 *       every connection and every target's delivery.</li>
 *   <li>{@link JdbcOutbox} ({@code jdbc}): tables in a database, one transaction per batch; each connection is
 *       owned on its own ({@link #claim(String)}), and its owner delivers its records, so replicas on their own
 *       disks share the work.</li>
 * </ul>
 */
public interface Outbox {

    /** What the outbox is, for log lines and health: a folder, or a database. */
    String where();

    /**
     * A user starts (a connection's consumer, a target's consumer): the first one opens the store. A process that
     * only stands by never reads or writes it.
     */
    void start() throws IOException;

    /** A user stops: the last one closes the store (what is committed stays there for the next owner). */
    void stop() throws IOException;

    /** True while some user has it open. */
    boolean isOpen();

    /** The outbox as a service of the CamelContext: closes it, if still open, when the context stops. */
    org.apache.camel.Service asService();

    /**
     * Commits one batch of a connection: its events and the state it leaves, durable together, and then (only
     * then) the events handed to every running target's queue.
     *
     * @param connection the connection id; null for events that belong to no connection's state
     * @param state      the license state the batch leaves, as a JSON object; null: none to keep
     * @param events     the batch's change events (each gets its committed id here); may be empty
     * @throws OutboxWriteException when the store refuses: nothing of the batch is in the outbox then
     */
    Committed commit(String connection, String state, List<LicenseChangeEvent> events);

    /**
     * As {@link #commit(String, String, List)}, without holding the caller for the store: the stage completes
     * with the committed batch once it is durable (and queued for the targets), or fails as {@code commit} would
     * throw. A store that has no faster way commits here and returns a completed stage. Its dependents may run
     * on the store's own thread: hand further work on.
     */
    default java.util.concurrent.CompletableFuture<Committed> commitAsync(String connection, String state,
                                                                        List<LicenseChangeEvent> events) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(commit(connection, state, events));
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /** Events that belong to no connection's state, for every target: a commit without a connection. */
    default List<Entry> append(List<LicenseChangeEvent> events) {
        return events.isEmpty() ? List.of() : commit(null, null, events).entries();
    }

    /**
     * Sends events again to the given targets only (a dead letter replayed to the target that refused it); they
     * keep their ids. Every target must be running in this process.
     *
     * @throws IllegalArgumentException naming a target that is not running here
     */
    List<Entry> resend(List<LicenseChangeEvent> events, Set<String> targets);

    /** The state the newest record of a connection left, or null when the outbox holds none. */
    CommittedState lastState(String connection);

    /**
     * A connection's local state checkpoint is at this sequence: later sequences must come after it (the file
     * store; a store that keeps the states itself ignores it).
     */
    void reserveAbove(long sequence);

    /**
     * True when the license state lives in the outbox alone (a database): no state file is written or read.
     * False for the file store, whose connections also keep a state file as a checkpoint.
     */
    default boolean keepsStates() {
        return false;
    }

    /**
     * True when each connection is owned on its own (and its owner delivers its records): the cluster namespace
     * is one per connection. False when one process owns the whole store (the file store's data folder).
     */
    default boolean ownedPerConnection() {
        return false;
    }

    /**
     * This process now owns the connection (its route started): its undelivered records are queued for the
     * targets running here, and its later commits are this process's. The file store owns everything: no-op.
     */
    default void claim(String connection) throws IOException {
    }

    /** This process no longer owns the connection: its records still queued here are dropped (they stay stored). */
    default void letGo(String connection) {
    }

    /** What failed last when writing, or null while the store takes everything. */
    String problem();

    /** Since when {@link #problem()} has been failing, or null. */
    Instant problemSince();

    /**
     * The queue of a target, made (and its pending events read from the store) on first use: every event after
     * the target's progress, then every event committed from now on that is meant for it.
     */
    TargetQueue queue(String target);

    /** A target's consumer stopped: its queue closes (its progress stays stored). */
    void release(TargetQueue queue);

    /** Every target queue of this run. */
    Collection<TargetQueue> queues();

    /**
     * From now on, what every target of this run has taken may be deleted. Called once all routes have started,
     * naming the targets of this run, so that deletion also waits for a target whose route starts late.
     */
    void allowDeletion(Collection<String> targets);

    /** {@link #allowDeletion(Collection)} naming no target beyond the running ones. */
    default void allowDeletion() {
        allowDeletion(Set.of());
    }

    /**
     * A committed batch.
     *
     * @param sequence the record's sequence (the first event's, when it has events)
     * @param entries  its events, with their sequences and committed ids
     */
    record Committed(long sequence, List<Entry> entries) {
    }

    /**
     * The state a connection's newest record left.
     *
     * @param sequence the record's sequence
     * @param state    the state as JSON
     */
    record CommittedState(long sequence, String state) {
    }

    /**
     * One event in the outbox.
     *
     * @param sequence   its place in the log, from 1, never reused (the file store: one log; the database store:
     *                   one per connection)
     * @param connection the connection whose batch it came from; null for an event sent again
     * @param targets    the targets it is meant for; null: every target
     */
    record Entry(long sequence, String connection, Set<String> targets, LicenseChangeEvent event) {

        boolean isFor(String target) {
            return targets == null || targets.contains(target);
        }
    }
}
