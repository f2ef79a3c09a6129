package io.icws.licenses.outbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sequence of the last event a target has taken, in a small file overwritten in place (a fixed-width
 * number, one write per event, no fsync). Losing the newest value — only an operating-system crash can —
 * means the target gets a few events again after the restart, with the same ids: at least once.
 */
final class Cursor implements TargetProgress, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Cursor.class);
    private static final int WIDTH = 20;

    private final Path file;
    private final FileChannel channel;
    private long value;

    private Cursor(Path file, FileChannel channel, long value) {
        this.file = file;
        this.channel = channel;
        this.value = value;
    }

    /**
     * Opens a target's cursor file, making it with {@code initial} when there is none (a target seen for the
     * first time starts at the oldest event still in the log). An unreadable file also starts at
     * {@code initial}: the target gets every retained event again rather than miss one.
     */
    static Cursor open(Path file, long initial) {
        long value = initial;
        if (Files.exists(file)) {
            long read = read(file);
            if (read >= 0) {
                value = read;
            } else {
                LOG.warn("Outbox cursor {} is unreadable; its target gets every event still in the outbox again", file);
            }
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            Cursor cursor = new Cursor(file, channel, value);
            channel.truncate(0);
            cursor.write(value);
            return cursor;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot open the outbox cursor " + file, e);
        }
    }

    /** The value in a cursor file, or -1 when it cannot be read (a cursor is never negative). */
    static long read(Path file) {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    long value() {
        return value;
    }

    /** Moves the cursor forward; never back. */
    @Override
    public boolean hasTaken(Outbox.Entry entry) {
        return entry.sequence() <= value;
    }

    @Override
    public void advance(Outbox.Entry entry) throws IOException {
        advance(entry.sequence());
    }

    /** One log, one number: the last of them says it all (one write). */
    @Override
    public void advance(java.util.List<Outbox.Entry> entries) throws IOException {
        if (!entries.isEmpty()) {
            advance(entries.get(entries.size() - 1).sequence());
        }
    }

    void advance(long sequence) throws IOException {
        if (sequence > value) {
            write(sequence);
            value = sequence;
        }
    }

    /** Writes the number over the old one, same width: one positional write (this runs once per event). */
    private void write(long sequence) throws IOException {
        byte[] text = new byte[WIDTH + 1];
        long rest = sequence; // never negative: sequences start at 1, a cursor at 0
        for (int i = WIDTH - 1; i >= 0; i--) {
            text[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        text[WIDTH] = '\n';
        ByteBuffer buffer = ByteBuffer.wrap(text);
        long position = 0;
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("Closing outbox cursor {}: {}", file, e.toString());
        }
    }

    @Override
    public String toString() {
        return file + "=" + value;
    }
}
