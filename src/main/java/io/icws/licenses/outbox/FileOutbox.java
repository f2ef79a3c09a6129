package io.icws.licenses.outbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.PausePoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable record of every committed batch until each target has its events: an append-only log in segment
 * files ({@code outbox-<first sequence>.jsonl}, one JSON record per line) and, per target, a cursor file
 * ({@code <target>.cursor}) with the sequence of the last event that target has taken (delivered, or sent to
 * the dead letters). A target takes events in sequence order, so its cursor says everything about it.
 *
 * <p><b>One record per batch.</b> {@link #commit(String, String, List)} writes one line holding a batch's events
 * and the license state the batch leaves, and syncs it; only then do the target queues get its events, in
 * sequence order. So no target ever sees an event of a batch that is not durable, and the state and its events
 * are durable together: after a crash a connection starts from the state of its last record
 * ({@link #lastState(String)}), whose events are delivered, or the batch is not there at all and no target has
 * seen any of it. Commits of different connections that arrive together share one fsync (group commit).
 * Records:
 * <pre>{@code
 * {"seq":41,"connection":"site-a","state":{…the state…},"events":[{…CloudEvent 41…},{…CloudEvent 42…}]}
 * {"seq":43,"targets":["jms"],"events":[{…a dead letter sent again…}]}
 * }</pre>
 * A record's events take the sequences {@code seq, seq+1, …}; a record with no event takes one sequence. An event
 * gets its id here, when it is committed (a random UUID, kept in the record): redelivery, a restart and a
 * replay keep it, and no two changes ever share one.
 *
 * <p><b>Never wedged.</b> A write that fails is cut off the segment again; a failed sync cuts off every record
 * not yet durable and fails each of their commits (their connections derive them again from the next snapshot;
 * no target had them). A segment is rolled over once it holds {@code segmentBytes}: the new one is opened
 * before the old is let go, so a roll-over that fails leaves the outbox writing the old one. Whatever failed,
 * the next commit tries the disk again. The newest record of each connection's state is carried into every new
 * segment, so deleting a delivered segment never loses a state.
 *
 * <p>A segment is deleted once every target of this run, stopped ones included, is past its last event; never
 * the newest (it holds the highest sequence). Sequences are never reused: a restart continues after the highest
 * sequence, cursor or state checkpoint. A torn last line (the process was killed mid-write) is cut off with a
 * warning; it was never synced, so nothing of it was delivered.
 *
 * <p>Thread-safe.
 */
public final class FileOutbox extends SharedOutbox {

    /** The segment size when none is given: 8 MiB. */
    public static final long DEFAULT_SEGMENT_BYTES = 8L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(FileOutbox.class);
    private static final Pattern SEGMENT = Pattern.compile("outbox-(\\d{20})\\.jsonl");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final String CURSOR_SUFFIX = ".cursor";

    private final Path directory;
    private final ObjectMapper mapper;
    private final long segmentBytes;
    private final Map<String, TargetQueue> queues = new LinkedHashMap<>();
    /** Targets of this run whose queue was released (route stopped): the last event each had taken. */
    private final Map<String, Long> released = new LinkedHashMap<>();
    /** First sequence of each segment file, with its last sequence (first - 1 while empty). */
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    /** The state each connection's newest record left. */
    private final Map<String, CommittedState> states = new LinkedHashMap<>();
    /** Records written but not yet known to be durable, oldest first. */
    private final ArrayDeque<Written> unsynced = new ArrayDeque<>();
    /** Records durable (or failed) whose commits the sync thread has still to complete. */
    private final ArrayDeque<Written> toComplete = new ArrayDeque<>();
    /** The thread that forces what was written and completes the commits; one per open. */
    private SyncLoop syncLoop;
    /** States carried into the current segment, counted once they are durable. */
    private Map<String, CommittedState> pendingCarried;

    private FileChannel current;
    private long currentFirst;
    private long currentBytes;
    /** Bytes of the current segment known to be durable. */
    private long durableBytes;
    private long nextSequence = 1;
    private boolean deletionAllowed;
    private final Set<String> targetsOfThisRun = new TreeSet<>();
    private boolean rollOverFailing;
    private boolean running;

    public FileOutbox(Path directory, ObjectMapper mapper) {
        this(directory, mapper, DEFAULT_SEGMENT_BYTES);
    }

    /**
     * @param segmentBytes a segment is rolled over once it holds this many bytes ({@code icws.outbox.segment-size-kib})
     */
    public FileOutbox(Path directory, ObjectMapper mapper, long segmentBytes) {
        if (segmentBytes < 1) {
            throw new IllegalArgumentException("segment size must be positive, not " + segmentBytes);
        }
        this.directory = directory;
        this.mapper = mapper;
        this.segmentBytes = segmentBytes;
    }

    /** The folder of the log and the cursors ({@code icws.outbox.directory}). */
    @Override
    public String where() {
        return directory.toString();
    }

    /** The folder of the log and the cursors. */
    public Path directory() {
        return directory;
    }

    /**
     * The first user opens it: reads what the segments hold, cutting a torn last line. So a process that only stands
     * by (its routes wait for the leadership of the data folder) never reads, cuts or writes the segments another
     * process is writing.
     */
    @Override
    void open() throws IOException {
        Files.createDirectories(directory);
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                Matcher m = SEGMENT.matcher(file.getFileName().toString());
                if (m.matches()) {
                    long first = Long.parseLong(m.group(1));
                    long last = recoverSegment(file, first);
                    segments.put(first, last);
                    nextSequence = Math.max(nextSequence, Math.max(first, last + 1));
                } else if (file.getFileName().toString().endsWith(CURSOR_SUFFIX)) {
                    // sequences are never reused, even when every segment was deleted (all taken) or lost: a
                    // sequence at or below a target's cursor would count as taken and never reach it
                    nextSequence = Math.max(nextSequence, Cursor.read(file) + 1);
                }
            }
        }
        for (String target : targetsOfThisRun) {
            releasedCursor(target);
        }
        running = true;
        syncLoop = new SyncLoop();
        syncLoop.thread.start();
        LOG.debug("Outbox {} holds {} segment(s) and the state of {} connection(s); next sequence {}", directory,
                segments.size(), states.size(), nextSequence);
    }

    /** True while some user has it open. */
    @Override
    public synchronized boolean isOpen() {
        return running;
    }

    /**
     * Closes the segment being written and forgets what was read: the next {@link #start()} reads the folder
     * afresh (another process may have written it meanwhile). What was not synced was never committed.
     */
    @Override
    void close() throws IOException {
        running = false;
        List<Written> completing = new ArrayList<>();
        if (syncLoop != null) {
            syncLoop.stopped = true;
            syncLoop = null;
            notifyAll();
            // what was written and not synced was never committed: its commits fail (their batches come again)
            OutboxWriteException closed = new OutboxWriteException("The outbox in " + directory + " was closed before "
                    + "the record was synced", null);
            for (Written w : unsynced) {
                w.failure = closed;
                toComplete.addLast(w);
            }
            completing = drainCompletable();
        }
        if (current != null) {
            current.close();
            current = null;
        }
        for (TargetQueue queue : queues.values()) {
            queue.close();
        }
        queues.clear();
        released.clear();
        segments.clear();
        states.clear();
        unsynced.clear();
        pendingCarried = null;
        complete(completing);
        currentBytes = 0;
        durableBytes = 0;
        nextSequence = 1;
    }

    // ------------------------------------------------------------------------------------------ committing

    /**
     * Commits one batch of a connection: one record with its events and the state it leaves, synced, and then
     * (only then) the events handed to every running target's queue.
     *
     * @param connection the connection id; null for events that belong to no connection's state
     * @param state      the license state the batch leaves, as a JSON object; null: none to keep
     * @param events     the batch's change events (each gets its committed id here); may be empty
     * @return the committed entries, with their sequences and ids; the record's sequence is the first one's,
     *         or {@link Committed#sequence()} when it has no event
     * @throws OutboxWriteException when the disk refuses: nothing of the batch is in the outbox then
     */
    @Override
    public Committed commit(String connection, String state, List<LicenseChangeEvent> events) {
        return await(commitAsync(connection, state, events));
    }

    /**
     * As {@link #commit(String, String, List)}, without waiting for the sync: the record is written now, and the
     * stage completes once one force of the sync thread covered it (a force covers every record written before
     * it began, of any connection: while one force runs, the records written meanwhile wait for the next, so a
     * bulk change of hundreds of connections is made durable in a few forces). It fails with
     * {@link OutboxWriteException} when the disk refuses the write or the sync; nothing of the batch is in the
     * outbox then. Its dependents run on the sync thread: hand work on.
     */
    @Override
    public CompletableFuture<Committed> commitAsync(String connection, String state, List<LicenseChangeEvent> events) {
        if (connection != null && !NAME.matcher(connection).matches()) {
            throw new IllegalArgumentException("connection ids are [a-z0-9][a-z0-9-]*, not '" + connection + "'");
        }
        Written written;
        try {
            written = write(connection, state, events, null);
        } catch (OutboxWriteException e) {
            return CompletableFuture.failedFuture(e);
        }
        return written.done;
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Sends events again to the given targets only (a dead letter replayed to the target that refused it); they
     * keep their ids. Every target must be running in this process, so that its queue takes the event.
     *
     * @throws IllegalArgumentException naming a target that is not running here
     */
    @Override
    public List<Entry> resend(List<LicenseChangeEvent> events, Set<String> targets) {
        synchronized (this) {
            for (String target : targets) {
                if (!queues.containsKey(target)) {
                    throw new IllegalArgumentException("target '" + target + "' is not running here (running: "
                            + (queues.isEmpty() ? "none" : String.join(", ", queues.keySet())) + ")");
                }
            }
        }
        Written written = write(null, null, events, Set.copyOf(targets));
        return await(written.done).entries();
    }

    /**
     * The state the newest record of a connection left (carried into every new segment, so it outlives the
     * deletion of delivered segments), or null when the outbox holds none.
     */
    @Override
    public synchronized CommittedState lastState(String connection) {
        return states.get(connection);
    }

    /**
     * A connection's state checkpoint is at this sequence: sequences after a lost or emptied outbox must still
     * come after it, so that the newer of checkpoint and record is always the one with the higher sequence.
     */
    @Override
    public synchronized void reserveAbove(long sequence) {
        nextSequence = Math.max(nextSequence, sequence + 1);
    }

    /**
     * Writes one record. Its ids and its JSON are made before the outbox's monitor is taken (a record of thousands
     * of events takes a while, and other connections commit meanwhile); only its sequences and the write itself
     * are made under it.
     */
    private Written write(String connection, String state, List<LicenseChangeEvent> events, Set<String> targets) {
        List<LicenseChangeEvent> committed = new ArrayList<>(events.size());
        StringBuilder rest = new StringBuilder(256 + events.size() * 512);
        if (connection != null) {
            rest.append(",\"connection\":\"").append(connection).append('"');
        }
        try {
            if (targets != null) {
                rest.append(",\"targets\":").append(mapper.writeValueAsString(new TreeSet<>(targets)));
            }
            if (state != null) {
                rest.append(",\"state\":").append(state);
            }
            rest.append(",\"events\":[");
            for (LicenseChangeEvent event : events) {
                // an event gets its id when it is committed; one sent again keeps the id it has
                LicenseChangeEvent withId = targets != null ? event : event.withId(UUID.randomUUID().toString());
                if (!committed.isEmpty()) {
                    rest.append(',');
                }
                committed.add(withId);
                rest.append(mapper.writeValueAsString(withId));
            }
            rest.append("]}\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("A change event cannot be written as JSON", e);
        }
        return append(connection, state, committed, targets, rest.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Numbers the record and writes it: {@code {"seq":<first>} followed by the rest, made by {@link #write}. */
    private synchronized Written append(String connection, String state, List<LicenseChangeEvent> events,
                                        Set<String> targets, byte[] rest) {
        if (!running) {
            throw new IllegalStateException("The outbox in " + directory + " is not running");
        }
        try {
            if (current == null || currentBytes >= segmentBytes) {
                rollOver(nextSequence);
            }
        } catch (IOException e) {
            failed("starting a segment in", e);
            throw new OutboxWriteException("Cannot write to the outbox in " + directory + " ("
                    + Failures.describe(e) + ")", e);
        }
        long first = nextSequence;
        List<Entry> entries = new ArrayList<>(events.size());
        long sequence = first;
        for (LicenseChangeEvent event : events) {
            entries.add(new Entry(sequence++, connection, targets, event));
        }
        byte[] head = ("{\"seq\":" + first).getBytes(StandardCharsets.UTF_8);
        byte[] line = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, line, head.length, rest.length);
        long last = first + Math.max(1, events.size()) - 1;
        try {
            writeBytes(line);
        } catch (IOException e) {
            failed("writing", e);
            throw new OutboxWriteException("Cannot write to the outbox in " + directory + " ("
                    + Failures.describe(e) + ")", e);
        }
        nextSequence = last + 1;
        segments.put(currentFirst, last);
        Written written = new Written(first, last, List.copyOf(entries), currentBytes, connection,
                state == null ? null : new CommittedState(first, state));
        unsynced.addLast(written);
        notifyAll(); // the sync thread
        return written;
    }

    /** Writes whole or not at all: a failed write is cut off again, so the next record never joins a torn line. */
    private void writeBytes(byte[] bytes) throws IOException {
        long before = currentBytes;
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        try {
            while (buffer.hasRemaining()) {
                current.write(buffer);
            }
        } catch (IOException e) {
            cutBack(before, e);
            throw e;
        }
        currentBytes += bytes.length;
    }

    /** Cuts the current segment back to a length; if even that fails, the segment is let go (a restart cuts it). */
    private void cutBack(long length, IOException cause) {
        try {
            current.truncate(length);
            currentBytes = length;
        } catch (IOException cut) {
            cause.addSuppressed(cut);
            LOG.error("Outbox segment {} could not be cut back after a failed write ({}); writing a new segment from "
                    + "now on", segmentName(currentFirst), Failures.describe(cut));
            closeQuietly(current);
            current = null;
        }
    }

    /**
     * Opens a new segment for records from {@code first} on. The new segment is open (and the old one durable)
     * before the old is let go: when this fails, the outbox goes on writing the old segment.
     */
    private void rollOver(long first) throws IOException {
        Path file = directory.resolve(segmentName(first));
        FileChannel opened = null;
        try {
            opened = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            opened.truncate(0); // a file of that name holds nothing committed: its sequences were never used
            if (current != null) {
                current.force(false); // records still unsynced in the old segment are durable from here on
                durableBytes = currentBytes;
            }
            forceDirectory();
        } catch (IOException e) {
            if (opened != null) {
                closeQuietly(opened);
            }
            if (current != null) {
                if (!rollOverFailing) {
                    LOG.warn("Outbox: could not start a new segment {} ({}); going on in {} and trying again at the "
                            + "next commit", file.getFileName(), Failures.describe(e), segmentName(currentFirst));
                }
                rollOverFailing = true;
                return; // the caller writes to the old segment
            }
            throw e;
        }
        rollOverFailing = false;
        PausePoint.reached(PausePoint.ROLL_OVER);
        FileChannel old = current;
        long oldFirst = currentFirst;
        current = opened;
        currentFirst = first;
        currentBytes = 0;
        durableBytes = 0;
        segments.put(first, first - 1);
        if (old != null) {
            publishDurable(Long.MAX_VALUE, oldFirst); // everything written to the old one is durable now
            closeQuietly(old);
        }
        carryStates(first);
    }

    /** Every connection's newest state goes into the new segment first, so older segments can go. */
    private void carryStates(long first) throws IOException {
        if (states.isEmpty()) {
            return;
        }
        StringBuilder lines = new StringBuilder(states.size() * 400);
        long sequence = first;
        Map<String, CommittedState> carried = new LinkedHashMap<>();
        for (Map.Entry<String, CommittedState> e : states.entrySet()) {
            lines.append("{\"seq\":").append(sequence).append(",\"connection\":\"").append(e.getKey())
                    .append("\",\"state\":").append(e.getValue().state()).append(",\"events\":[]}\n");
            carried.put(e.getKey(), new CommittedState(sequence, e.getValue().state()));
            sequence++;
        }
        writeBytes(lines.toString().getBytes(StandardCharsets.UTF_8));
        // durable with the first record synced into this segment; until then the old segment holds them
        nextSequence = sequence;
        segments.put(currentFirst, sequence - 1);
        unsynced.addLast(new Written(first, sequence - 1, List.of(), currentBytes, null, null));
        pendingCarried = carried;
    }

    /**
     * The sync thread: forces the current segment whenever records wait for it, hands what became durable to the
     * target queues (in sequence order) and completes their commits, outside the outbox's monitor. One force at a
     * time; what is written while it runs waits for the next one (group commit).
     */
    private final class SyncLoop implements Runnable {
        private boolean stopped;
        private final Thread thread;

        SyncLoop() {
            thread = new Thread(this, "icws-outbox-sync");
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                FileChannel channel;
                long upTo;
                long segment;
                List<Written> completing;
                synchronized (FileOutbox.this) {
                    while (!stopped && unsynced.isEmpty() && toComplete.isEmpty()) {
                        try {
                            FileOutbox.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    if (stopped) {
                        return; // closed: the close failed what was not synced (a later open has a loop of its own)
                    }
                    completing = drainCompletable();
                    channel = null;
                    upTo = 0;
                    segment = 0;
                    if (!unsynced.isEmpty()) {
                        if (current == null) {
                            failUnsynced(new IOException("the outbox segment of these records was let go after a "
                                    + "failure"));
                            completing.addAll(drainCompletable());
                        } else {
                            channel = current;
                            upTo = currentBytes;
                            segment = currentFirst;
                        }
                    }
                }
                complete(completing);
                if (channel == null) {
                    continue;
                }
                PausePoint.reached(PausePoint.COMMIT_WRITTEN); // written, not yet synced
                try {
                    channel.force(false);
                } catch (java.nio.channels.ClosedChannelException e) {
                    continue; // rolled over meanwhile (the roll-over forced it), or closed
                } catch (IOException e) {
                    synchronized (FileOutbox.this) {
                        if (channel == current) {
                            failUnsynced(e);
                        }
                    }
                    continue;
                }
                synchronized (FileOutbox.this) {
                    if (channel == current) {
                        durableBytes = Math.max(durableBytes, upTo);
                        publishDurable(upTo, segment);
                    }
                }
            }
        }
    }

    /** What the sync thread completes next (under the monitor). */
    private List<Written> drainCompletable() {
        List<Written> completing = new ArrayList<>(toComplete);
        toComplete.clear();
        return completing;
    }

    /** Completes the commits of records durable or failed (outside the monitor: a dependent may run here). */
    private static void complete(List<Written> completing) {
        for (Written w : completing) {
            if (w.failure != null) {
                w.done.completeExceptionally(w.failure);
            } else {
                w.done.complete(new Committed(w.first, w.entries));
            }
        }
    }

    /**
     * Hands the records that are durable to the target queues, oldest first (a queue must never get a later
     * sequence before an earlier one: its cursor moves past what it takes).
     *
     * @param upTo    bytes of the segment {@code segment} that are durable ({@code MAX_VALUE}: all of it)
     */
    private void publishDurable(long upTo, long segment) {
        while (!unsynced.isEmpty()) {
            Written w = unsynced.peekFirst();
            boolean inOlderSegment = w.first < segment;
            if (!inOlderSegment && w.endOffset > upTo) {
                break;
            }
            unsynced.removeFirst();
            w.durable = true;
            toComplete.addLast(w);
            if (w.connection != null && w.state != null) {
                states.put(w.connection, w.state);
            }
            if (w.entries.isEmpty() && pendingCarried != null && w.connection == null && w.state == null) {
                for (Map.Entry<String, CommittedState> e : pendingCarried.entrySet()) {
                    states.merge(e.getKey(), e.getValue(), (old, carried) -> old.sequence() > carried.sequence()
                            ? old : carried);
                }
                pendingCarried = null;
            }
            for (TargetQueue queue : queues.values()) {
                queue.offer(w.entries);
            }
        }
        if (!toComplete.isEmpty()) {
            notifyAll(); // the sync thread completes their commits
        }
        if (unsynced.isEmpty()) {
            working("in " + directory + " writes and syncs");
        }
    }

    /**
     * A sync failed: nothing written since the last durable point can count as committed. It is cut off the
     * segment and each of those commits fails; their connections derive the changes again.
     */
    private void failUnsynced(IOException e) {
        OutboxWriteException failure = new OutboxWriteException("Cannot sync the outbox in " + directory + " ("
                + Failures.describe(e) + ")", e);
        long firstLost = Long.MAX_VALUE;
        for (Written w : unsynced) {
            w.failure = failure;
            firstLost = Math.min(firstLost, w.first);
            toComplete.addLast(w);
        }
        unsynced.clear();
        pendingCarried = null;
        if (current != null) {
            cutBack(durableBytes, e);
        }
        if (firstLost != Long.MAX_VALUE) {
            nextSequence = firstLost; // never published, never taken: the sequences are free again
            if (current != null) {
                segments.put(currentFirst, Math.max(currentFirst - 1, firstLost - 1));
            }
        }
        notifyAll(); // the sync thread fails their commits
        failed("syncing", e);
    }

    private void failed(String what, IOException e) {
        failing(what + " " + directory + " failed: " + Failures.describe(e));
    }

    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            LOG.debug("Could not fsync the outbox folder {}: {}", directory, e.toString());
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("Closing an outbox segment: {}", e.toString());
        }
    }

    private static String segmentName(long first) {
        // fixed width: names sort as their sequences do
        String digits = Long.toString(first);
        return "outbox-" + "0".repeat(Math.max(0, 20 - digits.length())) + digits + ".jsonl";
    }

    // ------------------------------------------------------------------------------------------ targets

    /**
     * The queue of a target, made (and its pending events read from the log) on first use: every event after
     * the target's cursor, then every event committed from now on that is meant for it.
     */
    @Override
    public synchronized TargetQueue queue(String target) {
        if (!running) {
            throw new IllegalStateException("The outbox in " + directory + " is not open");
        }
        TargetQueue queue = queues.get(target);
        if (queue != null) {
            return queue;
        }
        if (!NAME.matcher(target).matches()) {
            throw new IllegalArgumentException("outbox target names are [a-z0-9][a-z0-9-]*, not '" + target + "'");
        }
        Path cursorFile = directory.resolve(target + CURSOR_SUFFIX);
        Cursor cursor = Cursor.open(cursorFile, firstRetainedSequence() - 1);
        queue = new TargetQueue(target, cursor, this::deleteTakenSegments);
        List<Entry> pending = new ArrayList<>();
        long durableUpTo = unsynced.isEmpty() ? Long.MAX_VALUE : unsynced.peekFirst().first - 1;
        for (Map.Entry<Long, Long> segment : segments.entrySet()) {
            if (segment.getValue() > cursor.value()) {
                readSegment(directory.resolve(segmentName(segment.getKey())), cursor.value(), durableUpTo, target,
                        pending);
            }
        }
        queue.offer(pending);
        queues.put(target, queue);
        released.remove(target);
        if (!pending.isEmpty()) {
            LOG.info("Outbox: {} event(s) still waiting for target {} from before; delivering them first",
                    pending.size(), target);
        }
        return queue;
    }

    /**
     * A target's consumer stopped and its last delivery is over: its queue closes (its cursor stays on disk);
     * {@link #queue(String)} makes it anew, from the cursor, when the target starts again.
     */
    @Override
    public synchronized void release(TargetQueue queue) {
        if (queues.remove(queue.target(), queue)) {
            // a stopped target still needs what it has not taken: deletion keeps waiting for it
            released.put(queue.target(), cursorOf(queue));
        }
        queue.close();
    }

    /** Every target queue of this run. */
    @Override
    public synchronized Collection<TargetQueue> queues() {
        return List.copyOf(queues.values());
    }

    /**
     * As {@link #allowDeletion()}, naming the targets of this run (their endpoints exist): deletion also waits for
     * those whose route has not started yet (a process that just took over starts its routes one by one), from
     * the cursor they have on disk.
     */
    @Override
    public void allowDeletion(Collection<String> targets) {
        synchronized (this) {
            targetsOfThisRun.addAll(targets);
            if (running) {
                for (String target : targets) {
                    releasedCursor(target);
                }
            }
            deletionAllowed = true;
        }
        deleteTakenSegments();
    }

    /** A target of this run whose queue is not open: deletion waits for its cursor on disk. */
    private void releasedCursor(String target) {
        Path file = directory.resolve(target + CURSOR_SUFFIX);
        if (!queues.containsKey(target) && !released.containsKey(target)) {
            long cursor = Files.exists(file) ? Cursor.read(file) : -1;
            released.put(target, cursor < 0 ? firstRetainedSequence() - 1 : cursor);
        }
    }

    /**
     * Deletes the segments whose events every target of this run has taken, stopped targets included; never the
     * newest segment (it holds the highest sequence and the states carried forward).
     */
    void deleteTakenSegments() {
        List<Path> doomed = new ArrayList<>();
        synchronized (this) {
            if (!deletionAllowed || (queues.isEmpty() && released.isEmpty())) {
                return;
            }
            long taken = Long.MAX_VALUE;
            for (TargetQueue queue : queues.values()) {
                taken = Math.min(taken, cursorOf(queue));
            }
            for (long cursor : released.values()) {
                taken = Math.min(taken, cursor);
            }
            Long newest = segments.isEmpty() ? null : segments.lastKey();
            for (var it = segments.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Long, Long> segment = it.next();
                Long next = segments.higherKey(segment.getKey());
                // a segment holding a connection's newest state stays (it is carried at the next roll-over)
                if (segment.getKey() != currentFirst && !segment.getKey().equals(newest)
                        && segment.getValue() <= taken && !holdsNewestState(segment.getKey(), next)) {
                    doomed.add(directory.resolve(segmentName(segment.getKey())));
                    it.remove();
                }
            }
        }
        for (Path file : doomed) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("Could not delete the delivered outbox segment {}: {}", file, e.getMessage());
            }
        }
    }

    private static long cursorOf(TargetQueue queue) {
        return ((Cursor) queue.progress()).value();
    }

    private boolean holdsNewestState(long first, Long next) {
        for (CommittedState state : states.values()) {
            if (state.sequence() >= first && (next == null || state.sequence() < next)) {
                return true;
            }
        }
        return false;
    }

    private long firstRetainedSequence() {
        return segments.isEmpty() ? nextSequence : segments.firstKey();
    }

    // ------------------------------------------------------------------------------------------ reading

    /** Reads a segment's events after {@code after} (and up to {@code upTo}) meant for {@code target}. */
    private void readSegment(Path file, long after, long upTo, String target, List<Entry> into) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    for (Entry entry : parse(line).entries()) {
                        if (entry.sequence() > after && entry.sequence() <= upTo && entry.isFor(target)) {
                            into.add(entry);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Outbox segment {} has an unreadable line ({}); skipping it", file, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the outbox segment " + file, e);
        }
    }

    /** A record line: this format's, or the one-event lines of format 1 ({@code "event"}). */
    private Record parse(String line) throws IOException {
        JsonNode json = mapper.readTree(line);
        long sequence = json.path("seq").asLong(0);
        if (sequence <= 0) {
            throw new IOException("no sequence");
        }
        Set<String> targets = null;
        if (json.has("targets")) {
            List<String> names = new ArrayList<>();
            json.get("targets").forEach(n -> names.add(n.asText()));
            targets = Set.copyOf(names);
        }
        String connection = json.path("connection").isTextual() ? json.get("connection").asText() : null;
        List<Entry> entries = new ArrayList<>();
        if (json.path("events").isArray()) {
            long s = sequence;
            for (JsonNode event : json.get("events")) {
                entries.add(new Entry(s++, connection, targets, mapper.treeToValue(event, LicenseChangeEvent.class)));
            }
        } else if (json.path("event").isObject()) {
            entries.add(new Entry(sequence, connection, targets,
                    mapper.treeToValue(json.get("event"), LicenseChangeEvent.class)));
        } else {
            throw new IOException("no events");
        }
        JsonNode state = json.get("state");
        long last = sequence + Math.max(1, entries.size()) - 1;
        return new Record(sequence, last, connection, state != null && state.isObject() ? state.toString() : null,
                entries);
    }

    /**
     * Finds the last sequence of a segment and the states its records leave, cutting off a torn last line (a
     * write the process did not finish).
     *
     * @return the segment's last sequence, or {@code first - 1} if it holds none
     */
    private long recoverSegment(Path file, long first) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        long last = 0;
        int lineStart = 0;
        int goodEnd = 0;
        for (int i = 0; i < end; i++) {
            if (bytes[i] == '\n') {
                String line = new String(bytes, lineStart, i - lineStart, StandardCharsets.UTF_8);
                if (!line.isBlank()) {
                    try {
                        Record record = parse(line);
                        last = Math.max(last, record.last());
                        if (record.connection() != null && record.state() != null) {
                            CommittedState known = states.get(record.connection());
                            if (known == null || known.sequence() < record.first()) {
                                states.put(record.connection(), new CommittedState(record.first(), record.state()));
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("Outbox segment {} has an unreadable line ({}); it is skipped", file, e.getMessage());
                    }
                }
                lineStart = i + 1;
                goodEnd = i + 1;
            }
        }
        if (goodEnd < end) {
            LOG.warn("Outbox segment {} ends with an unfinished line of {} bytes (the process stopped while writing "
                    + "it); cutting it off. It was never synced: no target had any of it, and its connection derives "
                    + "it again.", file, end - goodEnd);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(goodEnd);
                channel.force(false);
            }
        }
        return Math.max(last, first - 1);
    }

    private record Record(long first, long last, String connection, String state, List<Entry> entries) {
    }

    /** A record written, until it is durable (or its sync failed). Guarded by the outbox. */
    private static final class Written {
        final long first;
        final long last;
        final List<Entry> entries;
        final long endOffset;
        final String connection;
        final CommittedState state;
        boolean durable;
        OutboxWriteException failure;
        /** Completed by the sync thread once the record is durable, or failed. */
        final CompletableFuture<Committed> done = new CompletableFuture<>();

        Written(long first, long last, List<Entry> entries, long endOffset, String connection, CommittedState state) {
            this.first = first;
            this.last = last;
            this.entries = entries;
            this.endOffset = endOffset;
            this.connection = connection;
            this.state = state;
        }
    }
}
