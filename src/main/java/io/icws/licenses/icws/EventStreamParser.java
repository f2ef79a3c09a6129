package io.icws.licenses.icws;

import java.util.function.Consumer;

/**
 * Turns the lines of a {@code text/event-stream} into events, following the server-sent events format:
 * {@code data:} lines are joined with {@code \n}; an event ends at a blank line; lines starting with
 * {@code :} are comments (keep-alives); {@code id:}, {@code retry:} and {@code event:} are read and do not
 * disturb anything; a field name without a colon has an empty value; one space after the colon is dropped.
 * Only events of type {@code message} (the default, which ICWS uses) are handed over; an event of another
 * named type is skipped.
 *
 * <p>Not thread-safe: one parser per stream, fed in order.
 */
public final class EventStreamParser {

    private final Consumer<String> events;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type = "";
    private String lastEventId = "";
    private long retryMillis = -1;
    private boolean first = true;

    /** @param events receives the data of each complete {@code message} event */
    public EventStreamParser(Consumer<String> events) {
        this.events = events;
    }

    /** One line of the stream, without its line terminator. */
    public void line(String line) {
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
        if (line.charAt(0) == ':') {
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

    private void dispatch() {
        if (hasData && (type.isEmpty() || type.equals("message"))) {
            events.accept(data.toString());
        }
        data.setLength(0);
        hasData = false;
        type = "";
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
