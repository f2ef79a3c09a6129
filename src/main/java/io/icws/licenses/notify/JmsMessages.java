package io.icws.licenses.notify;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.icws.licenses.state.LicenseChangeEvent;
import org.apache.camel.Message;

/**
 * Makes the JMS message of one change (bean {@code icwsJmsMessages}, the step before {@code to jms:} in the JMS
 * target's split): the CloudEvents JSON document as the text, and as the only headers (JMS string properties,
 * for selectors) {@code license} and {@code user} ({@link ChangeFormats#licenseHeader} /
 * {@link ChangeFormats#userHeader}: sanitised, bounded), {@code changeType} and {@code eventId}. Every other
 * header is dropped, so nothing else becomes a property.
 *
 * <p>One method call instead of four header steps and a {@code marshal}: the route ran two bean expressions, two
 * simple expressions and Camel's Jackson data format per event, and camel-jms then read the marshalled bytes back
 * into a string for the text message. The JSON is the one {@code marshal: json} wrote (a plain
 * {@link ObjectMapper}: the event is a record whose annotations say it all), written as a string by one
 * {@link ObjectWriter} reused for every event.
 *
 * <p>Stateless and thread-safe.
 */
public final class JmsMessages {

    /** Registry name of the bean the JMS target's route names. */
    public static final String BEAN = "icwsJmsMessages";

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
     * Turns the message (its body the event) into the JMS message of the event: the JSON text as the body, the
     * four properties as the only headers.
     *
     * @throws IllegalArgumentException when the body is not an event with its data (refused: nothing to send)
     */
    public void prepare(Message message) throws JsonProcessingException {
        Object body = message.getBody();
        if (!(body instanceof LicenseChangeEvent event)) {
            throw new IllegalArgumentException("The JMS target takes a license change event, not "
                    + (body == null ? "null" : body.getClass().getName()));
        }
        if (event.data() == null) {
            throw new IllegalArgumentException("License change event " + formats.headerValue(event.id())
                    + " carries no data");
        }
        String text = writer.writeValueAsString(event);
        Map<String, Object> headers = message.getHeaders();
        headers.clear();
        headers.put("license", formats.licenseHeader(event));
        headers.put("user", formats.userHeader(event));
        headers.put("changeType", event.data().changeType());
        headers.put("eventId", event.id());
        message.setBody(text);
    }

    @Override
    public String toString() {
        return "JmsMessages";
    }
}
