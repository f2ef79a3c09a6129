package io.icws.licenses.watch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.icws.licenses.state.LicenseChangeEvent;

/**
 * One batch of a connection — one poll, or one server-sent event — while the route handles it: the session it
 * belongs to, the change events its license messages made, and whether one of its messages failed. The
 * {@code icws} consumer makes it, hands it to the route as the exchange property {@link #PROPERTY}, and commits
 * or rolls it back when the exchange completes ({@link BatchCompletion}). Used on the connection's lane only.
 */
public final class LicenseBatch {

    /** Exchange property holding the batch; the split's exchanges share it. */
    public static final String PROPERTY = "IcwsBatch";

    private final long session;
    private final List<LicenseChangeEvent> events = new ArrayList<>();
    /** The record of the batch's latest part (see {@link LicenseWatch}): being committed, committed or failed. */
    private CompletableFuture<Void> part;
    private boolean licenseMessages;
    private boolean failed;
    private String malformedMessage;
    private volatile boolean ending;
    /** Completes once the batch is committed (durable, queued) or rolled back: the lane's turn ends then. */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    LicenseBatch(long session) {
        this.session = session;
    }

    /** The generation of the session the batch's messages belong to. */
    public long session() {
        return session;
    }

    void add(List<LicenseChangeEvent> made) {
        licenseMessages = true;
        events.addAll(made);
    }

    /** The events made since the last part was committed; they go into the next part. */
    List<LicenseChangeEvent> takeEvents() {
        List<LicenseChangeEvent> taken = List.copyOf(events);
        events.clear();
        return taken;
    }

    /** The batch's first messages are being committed as a part, in a record of their own. */
    void partCommitting(CompletableFuture<Void> committing) {
        part = committing;
    }

    /** The latest part's commit, or null when the batch has none. */
    CompletableFuture<Void> part() {
        return part;
    }

    /** Why the latest part could not be committed, or null (none, not yet known, or committed). */
    RuntimeException partFailure() {
        if (part == null || !part.isCompletedExceptionally()) {
            return null;
        }
        try {
            part.join();
            return null;
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() instanceof RuntimeException r ? r : e;
        } catch (java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    /** The events the batch's license messages made since its last part (provisional ids until committed). */
    List<LicenseChangeEvent> events() {
        return events;
    }

    /** True once a license message was applied. */
    boolean hasLicenseMessages() {
        return licenseMessages;
    }

    /** A message failed: the rest of the batch derives nothing, and the batch will not be committed. */
    void fail() {
        failed = true;
    }

    boolean failed() {
        return failed;
    }

    /** A message that does not fit the model, exactly as received: it goes to the dead letters. */
    void malformed(String message) {
        failed = true;
        if (malformedMessage == null) {
            malformedMessage = message;
        }
    }

    String malformedMessage() {
        return malformedMessage;
    }

    /** Its exchange completed: the commit or the rollback begins. */
    void ending() {
        ending = true;
    }

    /** The commit or the rollback is over. */
    void ended() {
        ended.complete(null);
    }

    /**
     * Completes once the batch is committed or rolled back; at once when its exchange never got that far (the
     * consumer was stopping).
     */
    CompletableFuture<Void> end() {
        if (!ending) {
            ended.complete(null);
        }
        return ended;
    }

    @Override
    public String toString() {
        return "LicenseBatch[session " + session + ", " + events.size() + " event(s)" + (failed ? ", failed" : "") + "]";
    }
}
