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
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseChangeEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable record of every change event until each target has it: an append-only log of events in
 * segment files ({@code outbox-<first sequence>.jsonl}, one JSON line per event) and, per target, a cursor
 * file ({@code <target>.cursor}) with the sequence of the last event that target has taken (delivered, or
 * sent to the dead letters). A target takes events in log order, so its cursor says everything about it.
 *
 * <p>{@link #append(List)} writes the events and hands them to every target's queue at once (the fast path:
 * delivery starts while the batch is still being written); {@link #sync()} makes what was appended durable
 * with one fsync for the batch. The license state is saved only after that sync, so a change is always either
 * not yet in the saved state (and will be derived again, with the same id) or in this log.
 *
 * <p>After a restart, {@link #queue(String)} gives a target every event after its cursor first. A segment is
 * deleted once every target of this run, stopped ones included, is past its last event; the newest segment
 * stays, and sequences are never reused (a restart continues after the highest sequence or cursor). A torn last
 * line (the process was killed mid-write) is cut off with a warning.
 *
 * <p>Thread-safe.
 */
public final class Outbox {

    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private static final Pattern SEGMENT = Pattern.compile("outbox-(\\d{20})\\.jsonl");
    private static final long SEGMENT_BYTES = 8L << 20;
    private static final String CURSOR_SUFFIX = ".cursor";

    private final Path directory;
    private final ObjectMapper mapper;
    private final Map<String, TargetQueue> queues = new LinkedHashMap<>();
    /** Targets of this run whose queue was released (route stopped): the last event each had taken. */
    private final Map<String, Long> released = new LinkedHashMap<>();
    /** First sequence of each segment file, with its last sequence (first - 1 while empty). */
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    private FileChannel current;
    private long currentFirst;
    private long currentBytes;
    private boolean unsynced;
    private final Object syncLock = new Object();
    private long nextSequence = 1;
    private boolean deletionAllowed;
    private boolean running;

    public Outbox(Path directory, ObjectMapper mapper) {
        this.directory = directory;
        this.mapper = mapper;
    }

    /** The folder of the log and the cursors ({@code icws.outbox.directory}). */
    public Path directory() {
        return directory;
    }

    /**
     * Opens the outbox: reads what the segments hold (cutting a torn last line). Not a Camel service on purpose:
     * routes call it as a bean, and Camel stops the services of a route's beans with the route; the context owns
     * its life instead ({@link #asService()}).
     */
    public synchronized void start() throws IOException {
        Files.createDirectories(directory);
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
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
        running = true;
        LOG.debug("Outbox {} holds {} segment(s); next sequence {}", directory, segments.size(), nextSequence);
    }

    /** The outbox's life as a service of the CamelContext: started with it, stopped after the routes. */
    public org.apache.camel.Service asService() {
        Outbox outbox = this;
        return new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStart() throws IOException {
                outbox.start();
            }

            @Override
            protected void doStop() throws IOException {
                outbox.stop();
            }
        };
    }

    /** Closes the segment being written (synced first). The target queues are closed by their consumers. */
    public synchronized void stop() throws IOException {
        running = false;
        if (current != null) {
            if (unsynced) {
                current.force(false);
                unsynced = false;
            }
            current.close();
            current = null;
        }
    }

    // ------------------------------------------------------------------------------------------ writing

    /**
     * Appends events for every target; they reach the queues of running targets at once.
     *
     * @throws OutboxWriteException when the disk refuses
     */
    public List<Entry> append(List<LicenseChangeEvent> events) {
        return append(events, null);
    }

    /**
     * Appends events for the given targets only (null: every target), e.g. a dead letter sent again to the
     * target that refused it.
     */
    public synchronized List<Entry> append(List<LicenseChangeEvent> events, Set<String> targets) {
        if (events.isEmpty()) {
            return List.of();
        }
        if (!running) {
            throw new IllegalStateException("The outbox in " + directory + " is not running");
        }
        List<Entry> entries = new ArrayList<>(events.size());
        StringBuilder lines = new StringBuilder(events.size() * 512);
        for (LicenseChangeEvent event : events) {
            Entry entry = new Entry(nextSequence++, targets == null ? null : Set.copyOf(targets), event);
            entries.add(entry);
            lines.append(line(entry)).append('\n');
        }
        try {
            write(lines.toString().getBytes(StandardCharsets.UTF_8), entries.get(0).sequence(),
                    entries.get(entries.size() - 1).sequence());
        } catch (IOException e) {
            nextSequence = entries.get(0).sequence();
            throw new OutboxWriteException("Cannot write to the outbox in " + directory, e);
        }
        for (TargetQueue queue : queues.values()) {
            queue.offer(entries);
        }
        return entries;
    }

    /**
     * Makes everything appended so far durable: one fsync, whatever the number of events.
     *
     * @throws OutboxWriteException when the disk refuses
     */
    public void sync() {
        // one sync at a time: a caller returns only once a force that began after its append has ended (the
        // appends stay free to go on meanwhile)
        synchronized (syncLock) {
            FileChannel channel;
            synchronized (this) {
                if (!unsynced || current == null) {
                    return;
                }
                unsynced = false;
                channel = current;
            }
            try {
                channel.force(false);
            } catch (java.nio.channels.ClosedChannelException e) {
                // a new segment was opened meanwhile: the old one was forced before it was closed
            } catch (IOException e) {
                synchronized (this) {
                    unsynced = true;
                }
                throw new OutboxWriteException("Cannot sync the outbox in " + directory, e);
            }
        }
    }

    private String line(Entry entry) {
        try {
            StringBuilder b = new StringBuilder(512).append("{\"seq\":").append(entry.sequence());
            if (entry.targets() != null) {
                b.append(",\"targets\":").append(mapper.writeValueAsString(entry.targets()));
            }
            return b.append(",\"event\":").append(mapper.writeValueAsString(entry.event())).append('}').toString();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("A change event cannot be written as JSON", e);
        }
    }

    private void write(byte[] bytes, long first, long last) throws IOException {
        if (current == null || currentBytes > SEGMENT_BYTES) {
            openSegment(first);
        }
        long before = currentBytes;
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        try {
            while (buffer.hasRemaining()) {
                current.write(buffer);
            }
        } catch (IOException e) {
            // no part of the batch may stay: the next append would join onto a partial line
            try {
                current.truncate(before);
            } catch (IOException cut) {
                e.addSuppressed(cut);
                current.close();
                current = null; // the next append starts a new segment; a restart cuts the torn line
            }
            throw e;
        }
        currentBytes += bytes.length;
        segments.put(currentFirst, last);
        unsynced = true;
    }

    private void openSegment(long first) throws IOException {
        if (current != null) {
            current.force(false);
            current.close();
        }
        Path file = directory.resolve(segmentName(first));
        current = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        currentFirst = first;
        currentBytes = current.size();
        segments.put(first, first - 1);
        forceDirectory();
    }

    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            LOG.debug("Could not fsync the outbox folder {}: {}", directory, e.toString());
        }
    }

    private static String segmentName(long first) {
        return String.format("outbox-%020d.jsonl", first);
    }

    // ------------------------------------------------------------------------------------------ targets

    /**
     * The queue of a target, made (and its pending events read from the log) on first use: every event after
     * the target's cursor, then every event appended from now on that is meant for it.
     */
    public synchronized TargetQueue queue(String target) {
        TargetQueue queue = queues.get(target);
        if (queue != null) {
            return queue;
        }
        if (!target.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("outbox target names are [a-z0-9][a-z0-9-]*, not '" + target + "'");
        }
        Path cursorFile = directory.resolve(target + CURSOR_SUFFIX);
        Cursor cursor = Cursor.open(cursorFile, firstRetainedSequence() - 1);
        queue = new TargetQueue(target, cursor, this);
        List<Entry> pending = new ArrayList<>();
        for (Map.Entry<Long, Long> segment : segments.entrySet()) {
            if (segment.getValue() > cursor.value()) {
                readSegment(directory.resolve(segmentName(segment.getKey())), cursor.value(), target, pending);
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
    public synchronized void release(TargetQueue queue) {
        if (queues.remove(queue.target(), queue)) {
            // a stopped target still needs what it has not taken: deletion keeps waiting for it
            released.put(queue.target(), queue.cursor());
        }
        queue.close();
    }

    /** Every target queue of this run. */
    public synchronized Collection<TargetQueue> queues() {
        return List.copyOf(queues.values());
    }

    /**
     * From now on, segments every target of this run has passed are deleted. Called once all routes have
     * started, so a target whose route starts late still finds its events.
     */
    public void allowDeletion() {
        synchronized (this) {
            deletionAllowed = true;
        }
        deleteTakenSegments();
    }

    /**
     * Deletes the segments whose events every target of this run has taken, stopped targets included; never the
     * newest segment (it holds the highest sequence, which must survive a restart).
     */
    void deleteTakenSegments() {
        List<Path> doomed = new ArrayList<>();
        synchronized (this) {
            if (!deletionAllowed || (queues.isEmpty() && released.isEmpty())) {
                return;
            }
            long taken = Long.MAX_VALUE;
            for (TargetQueue queue : queues.values()) {
                taken = Math.min(taken, queue.cursor());
            }
            for (long cursor : released.values()) {
                taken = Math.min(taken, cursor);
            }
            Long newest = segments.isEmpty() ? null : segments.lastKey();
            for (var it = segments.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Long, Long> segment = it.next();
                if (segment.getKey() != currentFirst && !segment.getKey().equals(newest)
                        && segment.getValue() <= taken) {
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

    private long firstRetainedSequence() {
        return segments.isEmpty() ? nextSequence : segments.firstKey();
    }

    // ------------------------------------------------------------------------------------------ reading

    /** Reads a segment's events after {@code after} meant for {@code target}. */
    private void readSegment(Path file, long after, String target, List<Entry> into) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                Entry entry;
                try {
                    entry = parse(line);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Outbox segment {} has an unreadable line ({}); skipping it", file, e.getMessage());
                    continue;
                }
                if (entry.sequence() > after && entry.isFor(target)) {
                    into.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the outbox segment " + file, e);
        }
    }

    private Entry parse(String line) throws IOException {
        JsonNode json = mapper.readTree(line);
        long sequence = json.path("seq").asLong(0);
        if (sequence <= 0 || !json.path("event").isObject()) {
            throw new IOException("no sequence or no event");
        }
        Set<String> targets = null;
        if (json.has("targets")) {
            List<String> names = new ArrayList<>();
            json.get("targets").forEach(n -> names.add(n.asText()));
            targets = Set.copyOf(names);
        }
        return new Entry(sequence, targets, mapper.treeToValue(json.get("event"), LicenseChangeEvent.class));
    }

    /**
     * Finds the last sequence of a segment, cutting off a torn last line (a write the process did not finish).
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
                        last = Math.max(last, parse(line).sequence());
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
                    + "it); cutting it off. Its events were never synced, so the license state will derive them again.",
                    file, end - goodEnd);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(goodEnd);
                channel.force(false);
            }
        }
        return Math.max(last, first - 1);
    }

    /**
     * One event in the log.
     *
     * @param sequence its place in the log, from 1, never reused
     * @param targets  the targets it is meant for; null: every target
     */
    public record Entry(long sequence, Set<String> targets, LicenseChangeEvent event) {

        boolean isFor(String target) {
            return targets == null || targets.contains(target);
        }
    }
}
