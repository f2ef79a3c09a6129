package io.icws.licenses.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.icws.licenses.state.LicenseChangeEvent;

/**
 * What the JMS message of one change holds ({@link JmsBatchSender} makes it): the CloudEvents JSON document as
 * the text, and as the only properties (JMS string properties, for selectors) {@code license} and {@code user}
 * ({@link ChangeFormats#licenseHeader} / {@link ChangeFormats#userHeader}: sanitised, bounded),
 * {@code changeType} and {@code eventId}. The JSON is the one {@code marshal: json} writes (a plain
 * {@link ObjectMapper}: the event is a record whose annotations say it all), the same as the file target's,
 * written by one {@link ObjectWriter} reused for every event.
 *
 * <p>Stateless and thread-safe.
 */
public final class JmsMessages {

    private final ObjectWriter writer;
    private final ChangeFormats formats;

    public JmsMessages() {
        this(new ObjectMapper(), new ChangeFormats());
    }

    public JmsMessages(ObjectMapper mapper, ChangeFormats formats) {
        this.writer = mapper.writerFor(LicenseChangeEvent.class);
        this.formats = formats;
    }

    /**
     * Whether this can be sent: an event with its data.
     *
     * @throws IllegalArgumentException when it is not (refused: nothing to send)
     */
    public LicenseChangeEvent check(Object body) {
        if (!(body instanceof LicenseChangeEvent event)) {
            throw new IllegalArgumentException("The JMS target takes a license change event, not "
                    + (body == null ? "null" : body.getClass().getName()));
        }
        if (event.data() == null) {
            throw new IllegalArgumentException("License change event " + formats.headerValue(event.id())
                    + " carries no data");
        }
        return event;
    }

    /** The text of the message: the event's CloudEvents JSON document. */
    public String text(LicenseChangeEvent event) throws JsonProcessingException {
        return writer.writeValueAsString(event);
    }

    /** The property {@code license}. */
    public String license(LicenseChangeEvent event) {
        return formats.licenseHeader(event);
    }

    /** The property {@code user}. */
    public String user(LicenseChangeEvent event) {
        return formats.userHeader(event);
    }

    @Override
    public String toString() {
        return "JmsMessages";
    }
}
