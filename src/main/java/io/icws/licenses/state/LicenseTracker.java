package io.icws.licenses.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The license state of one connection (one ICWS server + user), kept between runs, and the change events it
 * derives from license messages.
 *
 * <p>Work goes in batches (one poll, or one server-sent event): {@link #apply(boolean, List)} applies each
 * license message of the batch to a pending copy of the state and returns its change events; the caller commits
 * the batch as one outbox record holding those events and {@link #pendingStateJson() the state they leave}, and
 * then calls {@link #committed(long)}. The committed state is the truth; the state file is a checkpoint of it
 * ({@link #checkpoint()}) that may lag, never lead: at start the newer of the file and the outbox's newest record
 * ({@link #startFrom(String, long)}) is taken. {@link #rollback()} drops a batch that was not committed: no
 * target has seen any of it, and the next snapshot derives its changes again.
 *
 * <p>Thread-safe: calls are serialized on the instance.
 */
public final class LicenseTracker {

    private static final Logger LOG = LoggerFactory.getLogger(LicenseTracker.class);

    private final String server;
    private final String user;
    private final Path stateFile;
    private final Clock clock;
    private LicenseChangeEvent.Maker events;
    private LicenseState committed;
    private LicenseState pending;
    private boolean pendingNeedsSave;
    private boolean checkpointDue;
    /** Counts the commits that made a checkpoint due: a checkpoint taken before the latest one leaves it due. */
    private long checkpointVersion;

    /**
     * Creates the tracker and loads its saved state, if any (a corrupt file is moved aside; see
     * {@link LicenseState#load(Path, Clock)}). A state file of the same server and user under the name used
     * before connections had ids ({@link LicenseState#stateFile(Path, String, String)}) is taken over.
     *
     * @param connection     the connection id, part of the state file's name; null: the name has none
     * @param server         the ICWS server, as used in the event source (e.g. {@code 127.0.0.1:18018})
     * @param user           the ICWS user of the subscription
     * @param stateDirectory where the state file lives; null: in memory only
     * @param clock          gives event times; null: the system UTC clock
     * @throws IllegalArgumentException when server or user is null
     */
    public LicenseTracker(String connection, String server, String user, Path stateDirectory, Clock clock) {
        if (server == null) {
            throw new IllegalArgumentException("License tracker: server is missing (null)");
        }
        if (user == null) {
            throw new IllegalArgumentException("License tracker: user is missing (null)");
        }
        this.server = server;
        this.user = user;
        this.clock = clock == null ? Clock.systemUTC() : clock;
        this.stateFile = stateDirectory == null ? null : connection == null
                ? LicenseState.stateFile(stateDirectory, server, user)
                : LicenseState.stateFile(stateDirectory, connection, server, user);
        if (stateFile != null && connection != null) {
            takeOverUnnamedStateFile(LicenseState.stateFile(stateDirectory, server, user));
        }
        LicenseState loaded = stateFile == null ? new LicenseState() : LicenseState.load(stateFile, this.clock);
        if (!matches(loaded.server(), server) || !matches(loaded.user(), user)) {
            LOG.warn("License state file {} belongs to another server or user; starting with an empty state", stateFile);
            loaded = new LicenseState();
        }
        this.committed = loaded.withIdentity(server, user);
        // nothing is written here: the state file is a checkpoint, saved after a commit (so a standby that only
        // reads never writes), and event ids no longer depend on the state's epoch
    }

    /** A tracker without connection id in its state file's name. */
    public LicenseTracker(String server, String user, Path stateDirectory, Clock clock) {
        this(null, server, user, stateDirectory, clock);
    }

    /** In-memory tracker with the system UTC clock. */
    public LicenseTracker(String server, String user) {
        this(null, server, user, null, null);
    }

    private LicenseChangeEvent.Maker events() {
        if (events == null) {
            events = new LicenseChangeEvent.Maker(server, user);
        }
        return events;
    }

    private static boolean matches(String recorded, String expected) {
        return recorded == null || recorded.equals(expected);
    }

    private void takeOverUnnamedStateFile(Path unnamed) {
        if (!Files.exists(stateFile) && Files.isRegularFile(unnamed)) {
            try {
                Files.move(unnamed, stateFile);
                LOG.info("License state file {} renamed to {} (state files now carry the connection id)", unnamed,
                        stateFile);
            } catch (IOException e) {
                LOG.warn("Could not rename license state file {} to {} ({}); starting from it anyway", unnamed,
                        stateFile, e.getMessage());
            }
        }
    }

    /**
     * Applies one ICWS license message to the pending state and returns one event per change, in the
     * message's order, each carrying the snapshot taken after the whole message was applied. Nothing is saved
     * until {@link #commit()}.
     *
     * @throws IllegalArgumentException when the list, an item or a name is null (pending state unchanged)
     */
    public synchronized List<LicenseChangeEvent> apply(boolean isDelta, List<LicenseStatus> statuses) {
        LicenseState next = pending == null ? committed.copy() : pending.copy();
        List<LicenseChange> changes = next.apply(isDelta, statuses);
        pending = next;
        pendingNeedsSave |= !changes.isEmpty() || !isDelta;
        if (changes.isEmpty()) {
            LOG.debug("License message (isDelta={}, {} items): no change", isDelta, statuses.size());
            return List.of();
        }
        Map<String, Boolean> snapshot = next.snapshot(); // sorted, unmodifiable: every event of the message shares it
        Instant now = clock.instant();
        List<LicenseChangeEvent> events = new ArrayList<>(changes.size());
        for (LicenseChange change : changes) {
            events.add(events().of(next.epoch(), change, snapshot, now));
        }
        LOG.debug("License message (isDelta={}, {} items): {} change(s)", isDelta, statuses.size(), changes.size());
        return List.copyOf(events);
    }

    /**
     * The outbox's newest record of this connection holds a state newer than the state file (a checkpoint that
     * may lag): it becomes the committed state. Ignored when it is not newer, or belongs to another server or
     * user.
     *
     * @param json   the state as the record holds it
     * @param record the record's sequence
     */
    public synchronized void startFrom(String json, long record) {
        if (record <= committed.record()) {
            return;
        }
        LicenseState recorded;
        try {
            recorded = LicenseState.fromJsonString(json);
        } catch (IOException e) {
            LOG.warn("The outbox's newest state of {} is unreadable ({}); starting from {}", user, e.getMessage(),
                    stateFile == null ? "an empty state" : stateFile);
            return;
        }
        if (!matches(recorded.server(), server) || !matches(recorded.user(), user)) {
            return;
        }
        recorded.committedIn(record);
        committed = recorded.withIdentity(server, user);
        markCheckpointDue();
        LOG.info("License state of {} taken from outbox record {} (newer than the state file {})", user, record,
                stateFile);
    }

    /** True when the pending batch changed the state, so it must be committed as a record. */
    public synchronized boolean pendingChanged() {
        return pending != null && !pending.sameAs(committed);
    }

    /** The pending state as JSON, for the batch's outbox record. */
    public synchronized String pendingStateJson() {
        if (pending == null) {
            throw new IllegalStateException("No batch is pending");
        }
        return pending.toJsonString();
    }

    /**
     * The pending batch is committed (its record is durable): its state becomes the committed one, and a
     * {@link #checkpoint()} is due.
     *
     * @param record the sequence of the outbox record that holds it
     */
    public synchronized void committed(long record) {
        if (pending == null) {
            return;
        }
        pending.committedIn(record);
        committed = pending;
        pending = null;
        pendingNeedsSave = false;
        markCheckpointDue();
    }

    /**
     * A batch with many changes is committed in parts: the pending state so far, to go into a record with the
     * events made so far. Messages applied afterwards go on from it; once the record is durable,
     * {@link #partCommitted(Part, long)} makes it the committed state, so that a rollback of the rest of the batch
     * comes back to it, not to the state before the batch.
     *
     * @throws IllegalStateException when no batch is pending
     */
    public synchronized Part part() {
        if (pending == null) {
            throw new IllegalStateException("No batch is pending");
        }
        return new Part(pending, pending.toJsonString());
    }

    /**
     * The part's record is durable: its state is the committed one (the batch's messages applied since stay
     * pending on top of it), and a checkpoint is due.
     *
     * @param record the sequence of the outbox record that holds it
     */
    public synchronized void partCommitted(Part part, long record) {
        part.state.committedIn(record);
        committed = part.state;
        markCheckpointDue();
    }

    /** The state of a batch's first messages, as {@link #part()} took it. */
    public static final class Part {
        private final LicenseState state;
        private final String json;

        private Part(LicenseState state, String json) {
            this.state = state;
            this.json = json;
        }

        /** The state as JSON, for the part's outbox record. */
        public String stateJson() {
            return json;
        }
    }

    private void markCheckpointDue() {
        checkpointDue = true;
        checkpointVersion++;
    }

    /**
     * A checkpoint to save outside the tracker's lock (several at once, off the connection's lane): the
     * committed state's file bytes now, or null when none is due. {@link #checkpointed(Checkpoint)} says it was
     * saved.
     */
    public synchronized Checkpoint dueCheckpoint() {
        if (!checkpointDue || stateFile == null) {
            return null;
        }
        return new Checkpoint(stateFile, committed.toFileBytes(), checkpointVersion);
    }

    /** The checkpoint was saved: none is due unless a commit came after it was taken. */
    public synchronized void checkpointed(Checkpoint checkpoint) {
        if (checkpoint.version() == checkpointVersion) {
            checkpointDue = false;
        }
    }

    /** The committed state as the state file will hold it, taken at one commit ({@code version}). */
    public record Checkpoint(Path file, byte[] bytes, long version) {
    }

    /**
     * Saves the committed state to the state file, if it changed since the last checkpoint. The file is a
     * checkpoint: it may lag behind the outbox (its {@code record} says how far it got), never lead it.
     *
     * @return true when the file was written
     * @throws IOException when it cannot be saved (tried again by the next call)
     */
    public synchronized boolean checkpoint() throws IOException {
        if (!checkpointDue || stateFile == null) {
            return false;
        }
        committed.save(stateFile);
        checkpointDue = false;
        return true;
    }

    /** True while the committed state is newer than the state file. */
    public synchronized boolean checkpointDue() {
        return checkpointDue && stateFile != null;
    }

    /** The outbox record the committed state came from (0: none). */
    public synchronized long committedRecord() {
        return committed.record();
    }

    /**
     * Commits the pending state without an outbox (in-memory use and tests) and saves it: {@link #committed(long)}
     * then {@link #checkpoint()}.
     *
     * @return true when the state file was written
     * @throws IOException when the state cannot be saved (the state is committed all the same)
     */
    public synchronized boolean commit() throws IOException {
        if (pending == null) {
            return false;
        }
        boolean save = pendingNeedsSave;
        committed(committed.record());
        checkpointDue = save;
        return checkpoint();
    }

    /** Drops the pending state: the next messages are applied to the last committed one. */
    public synchronized void rollback() {
        pending = null;
        pendingNeedsSave = false;
    }

    /** True while applied messages wait for {@link #commit()}. */
    public synchronized boolean hasPending() {
        return pending != null;
    }

    /** The current view (pending changes included): license name to assigned, sorted by name, unmodifiable. */
    public synchronized Map<String, Boolean> snapshot() {
        return (pending == null ? committed : pending).snapshot();
    }

    /** The epoch of the state: part of every event id. */
    public synchronized String epoch() {
        return committed.epoch();
    }

    /** The server this tracker watches. */
    public String server() {
        return server;
    }

    /** The user this tracker watches. */
    public String user() {
        return user;
    }

    /** The state file, or null when the tracker keeps its state in memory only. */
    public Path stateFile() {
        return stateFile;
    }

    @Override
    public String toString() {
        return "LicenseTracker[stateFile=" + stateFile + "]";
    }
}
