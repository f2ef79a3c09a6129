package io.icws.licenses.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.icws.licenses.state.LicenseChangeEvent;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Makes the file of one change (bean {@code icwsFileMessages}, the step before {@code to file:} in the file
 * target's split): the CloudEvents JSON document as the body (UTF-8 bytes) and its name
 * ({@link ChangeFormats#fileName}) in {@code CamelFileName}.
 *
 * <p>One method call instead of a bean expression and {@code marshal: json}: Camel's data format wrote into an
 * output stream builder that looks the route up among all routes of the context for its stream-caching setting
 * (one lookup per event, one copy of the route list each: with 1,000 connections, 1,000 routes), then the body
 * was a stream cache camel-file read back. The JSON is the one {@code marshal: json} wrote
 * ({@link EventDocuments}), the same as the JMS target's text.
 *
 * <p>Stateless and thread-safe.
 */
public final class FileMessages {

    /** Registry name of the bean the file target's route names. */
    public static final String BEAN = "icwsFileMessages";

    private final ChangeFormats formats = new ChangeFormats();

    /**
     * Turns the message (its body the event) into the file of the event: the JSON document as the body, its file
     * name in {@code CamelFileName}.
     *
     * @throws IllegalArgumentException when the body is not an event (refused: nothing to write)
     */
    public void prepare(Message message) throws JsonProcessingException {
        LicenseChangeEvent event = EventDocuments.event(message.getBody(), "file");
        message.setHeader(Exchange.FILE_NAME, formats.fileName(event));
        message.setBody(EventDocuments.bytes(event));
    }

    @Override
    public String toString() {
        return "FileMessages";
    }
}
