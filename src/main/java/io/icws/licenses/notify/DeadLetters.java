package io.icws.licenses.notify;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/**
 * What goes to {@code icws.dead-letter.directory}: the thing that could not be handled, whole, with where
 * it failed and why, as one JSON document per file: {@code origin} (route), {@code time}, {@code reason}
 * (the exception chain) and {@code content}. A message from the server is kept as the exact text received;
 * an event a target refused as the event's JSON.
 */
public class DeadLetters {

    /** Header naming where the dead letter comes from, e.g. {@code icws-message} or {@code notify-jms}. */
    public static final String ORIGIN_HEADER = "IcwsDeadLetterOrigin";

    /** Exchange property holding the change event being delivered (set before the fan-out to the targets). */
    public static final String EVENT_PROPERTY = "IcwsChangeEvent";

    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final ObjectMapper mapper = new ObjectMapper();
    private final Clock clock;

    public DeadLetters(Clock clock) {
        this.clock = clock;
    }

    /** Replaces the body with the dead-letter document and sets the file name header. */
    public void envelope(Exchange exchange) throws JsonProcessingException {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String origin = exchange.getMessage().getHeader(ORIGIN_HEADER, "unknown", String.class);
        // A target's dead letter keeps the event itself, whatever the target had turned it into by then.
        Object event = exchange.getProperty(EVENT_PROPERTY);
        Object body = event != null ? event : exchange.getMessage().getBody(String.class);
        ObjectNode doc = mapper.createObjectNode()
                .put("origin", origin)
                .put("time", STAMP.format(clock.instant()))
                .put("reason", failure == null ? "unknown" : describe(failure));
        if (body instanceof String text) {
            doc.put("content", text);
        } else {
            doc.set("content", mapper.valueToTree(body));
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.FILE_NAME,
                origin.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + STAMP.format(clock.instant()) + "-"
                        + UUID.randomUUID() + ".json");
        exchange.getMessage().setBody(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
    }

    private static String describe(Throwable failure) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (!sb.isEmpty()) {
                sb.append(" <- ");
            }
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                sb.append(": ").append(t.getMessage());
            }
        }
        return sb.toString();
    }
}
