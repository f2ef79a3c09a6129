package io.icws.licenses.icws;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Turns a {@code text/event-stream} into events, following the server-sent events format: {@code data:} lines
 * are joined with {@code \n}; an event ends at a blank line; lines starting with {@code :} are comments
 * (keep-alives); {@code id:}, {@code retry:} and {@code event:} are read and do not disturb anything; a field
 * name without a colon has an empty value; one space after the colon is dropped. Only events of type
 * {@code message} (the default, which ICWS uses) are handed over; an event of another named type is skipped.
 * Lines end at CR LF, LF or CR.
 *
 * <p>The server's bytes are untrusted, so they are bounded: an event whose data (its {@code data:} values joined,
 * in UTF-8) is larger than {@code maxEventBytes}, or a line longer than {@code maxEventBytes} plus
 * {@link #LINE_SLACK} bytes (room for the field name), is refused with an {@link EventTooLargeException}, thrown
 * by {@link #bytes} or {@link #line} as soon as the limit is passed — {@link #bytes} never holds more than the
 * limit of a line, however long the line the server sends. After that the parser is spent: the stream must be
 * treated as broken (what comes next cannot be told apart from the rest of the refused event), and further
 * input is ignored.
 *
 * <p>Not thread-safe: one parser per stream, fed in order.
 */
public final class EventStreamParser {

    /** The default limit of an event's data: 1 MiB. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;
    /** How much longer than the event limit one line may be: the field name, the colon and a space. */
    public static final int LINE_SLACK = 64;

    /** An event or a line over the limit: the stream is broken. */
    public static final class EventTooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        EventTooLargeException(String message) {
            super(message, null, false, false);
        }
    }

    private final Consumer<String> events;
    private final int maxEventBytes;
    private final int maxLineBytes;
    private final StringBuilder data = new StringBuilder();
    private long dataBytes;
    private boolean hasData;
    private String type = "";
    private String lastEventId = "";
    private long retryMillis = -1;
    private boolean first = true;
    private boolean spent;
    // bytes of the line being received (bytes), and whether the last byte was a CR (a LF right after it is skipped)
    private byte[] lineBuffer = new byte[256];
    private int lineLength;
    private boolean afterCr;
    private long comments;

    /** @param events receives the data of each complete {@code message} event; events of at most 1 MiB */
    public EventStreamParser(Consumer<String> events) {
        this(events, DEFAULT_MAX_EVENT_BYTES);
    }

    /**
     * @param events        receives the data of each complete {@code message} event
     * @param maxEventBytes the largest data an event may carry, in bytes (UTF-8); at least 1
     */
    public EventStreamParser(Consumer<String> events, int maxEventBytes) {
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes must be at least 1, got " + maxEventBytes);
        }
        this.events = events;
        this.maxEventBytes = maxEventBytes;
        this.maxLineBytes = (int) Math.min(Integer.MAX_VALUE - 8L, (long) maxEventBytes + LINE_SLACK);
    }

    /** The limit of an event's data, in bytes. */
    public int maxEventBytes() {
        return maxEventBytes;
    }

    /**
     * Bytes of the stream as they arrive, cut anywhere (a line, a CR LF or a UTF-8 character may span two calls).
     *
     * @throws EventTooLargeException when a line or an event passes the limit; the parser is then spent
     */
    public void bytes(ByteBuffer buffer) {
        while (buffer.hasRemaining() && !spent) {
            byte b = buffer.get();
            if (afterCr) {
                afterCr = false;
                if (b == '\n') {
                    continue;
                }
            }
            if (b == '\n' || b == '\r') {
                afterCr = b == '\r';
                // a blank line or a comment (a keep-alive) is the common case while idle: no string is made of it
                if (lineLength == 0) {
                    first = false;
                    if (hasData || !type.isEmpty()) {
                        dispatch();
                    } else {
                        dataBytes = 0;
                    }
                    continue;
                }
                if (lineBuffer[0] == ':') {
                    first = false;
                    lineLength = 0;
                    comments++;
                    continue;
                }
                String text = new String(lineBuffer, 0, lineLength, StandardCharsets.UTF_8);
                lineLength = 0;
                if (lineBuffer.length > 64 * 1024) {
                    lineBuffer = new byte[256]; // do not keep a large buffer for the life of the stream
                }
                line(text);
                continue;
            }
            if (lineLength >= maxLineBytes) {
                lineLength = 0;
                throw refuse("a line of more than " + maxLineBytes + " bytes");
            }
            if (lineLength == lineBuffer.length) {
                lineBuffer = Arrays.copyOf(lineBuffer, (int) Math.min(maxLineBytes, lineBuffer.length * 2L));
            }
            lineBuffer[lineLength++] = b;
        }
    }

    /**
     * One line of the stream, without its line terminator.
     *
     * @throws EventTooLargeException when the line or the event passes the limit; the parser is then spent
     */
    public void line(String line) {
        if (spent) {
            return;
        }
        if (first) {
            first = false;
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
        }
        if (line.isEmpty()) {
            dispatch();
            return;
        }
        if (line.length() > maxLineBytes / 3 && utf8Length(line) > maxLineBytes) {
            throw refuse("a line of more than " + maxLineBytes + " bytes");
        }
        if (line.charAt(0) == ':') {
            comments++;
            return; // comment: a keep-alive
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                dataBytes += (hasData ? 1 : 0) + utf8Length(value);
                if (dataBytes > maxEventBytes) {
                    throw refuse("an event with more than " + maxEventBytes + " bytes of data");
                }
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    lastEventId = value;
                }
            }
            case "retry" -> {
                if (!value.isEmpty() && value.chars().allMatch(Character::isDigit) && value.length() < 19) {
                    retryMillis = Long.parseLong(value);
                }
            }
            default -> {
                // unknown field: ignored, as the format says
            }
        }
    }

    private EventTooLargeException refuse(String what) {
        spent = true;
        data.setLength(0);
        data.trimToSize();
        hasData = false;
        lineBuffer = new byte[0];
        return new EventTooLargeException("the event stream sent " + what + " (limit " + maxEventBytes
                + " bytes of event data, icws.sse.max-event-size); refused, the stream is treated as broken");
    }

    private void dispatch() {
        if (hasData && (type.isEmpty() || type.equals("message"))) {
            events.accept(data.toString());
        }
        data.setLength(0);
        if (data.capacity() > 64 * 1024) {
            data.trimToSize();
        }
        dataBytes = 0;
        hasData = false;
        type = "";
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** True once a line or an event passed the limit: the parser takes no more input. */
    public boolean spent() {
        return spent;
    }

    /** How many comment lines (keep-alives) came so far. */
    public long comments() {
        return comments;
    }

    /** The last {@code id:} the stream sent, or empty. */
    public String lastEventId() {
        return lastEventId;
    }

    /** The last {@code retry:} the stream sent, in ms, or -1. */
    public long retryMillis() {
        return retryMillis;
    }
}
