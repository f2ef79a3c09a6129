package io.icws.licenses.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.icws.licenses.state.LicenseChangeEvent;

/**
 * The CloudEvents JSON document of a change, as the file and JMS targets write it: the one {@code marshal: json}
 * writes (a plain {@link ObjectMapper}: the event is a record whose annotations say it all), by one
 * {@link ObjectWriter} for every event. And the check both targets make of what they were given.
 */
final class EventDocuments {

    private static final ObjectWriter WRITER = new ObjectMapper().writerFor(LicenseChangeEvent.class);

    private EventDocuments() {
    }

    /**
     * The body as an event.
     *
     * @param target the target that takes it, for the message ("file", "JMS")
     * @throws IllegalArgumentException when it is not one (refused: nothing to write)
     */
    static LicenseChangeEvent event(Object body, String target) {
        if (!(body instanceof LicenseChangeEvent event)) {
            throw new IllegalArgumentException("The " + target + " target takes a license change event, not "
                    + (body == null ? "null" : body.getClass().getName()));
        }
        return event;
    }

    /** The document as UTF-8 bytes. */
    static byte[] bytes(LicenseChangeEvent event) throws JsonProcessingException {
        return WRITER.writeValueAsBytes(event);
    }

    /** The document as text. */
    static String text(LicenseChangeEvent event) throws JsonProcessingException {
        return WRITER.writeValueAsString(event);
    }
}
