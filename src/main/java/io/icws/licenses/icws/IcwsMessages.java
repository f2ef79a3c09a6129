package io.icws.licenses.icws;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what {@code GET …/messaging/messages} returns: splits the array into single messages, names
 * each message's {@code __type}, and turns license messages into {@link LicenseMessage}. Anything that does
 * not fit is a {@link MalformedMessageException} with the reason, which the routes send to the dead letters
 * whole. Messages of other types are counted and otherwise ignored, as the protocol asks.
 */
public class IcwsMessages {

    public static final String LICENSE_MESSAGE = "urn:inin.com:licenses:licenseMessage";
    public static final String CONNECTION_STATE_CHANGE = "urn:inin.com:connection:connectionStateChangeMessage";
    public static final String SUBSCRIPTION_STATE = "urn:inin.com:messaging:subscriptionStateMessage";

    private static final Logger LOG = LoggerFactory.getLogger(IcwsMessages.class);

    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, LongAdder> ignored = new ConcurrentHashMap<>();
    private final LongAdder malformed = new LongAdder();

    /** The array as single messages, each kept as its JSON text. */
    public List<String> split(String body) {
        JsonNode array = read(body, "the messages answer");
        if (!array.isArray()) {
            throw new MalformedMessageException("the messages answer is not a JSON array but " + array.getNodeType());
        }
        List<String> messages = new ArrayList<>(array.size());
        array.forEach(node -> messages.add(node.toString()));
        return messages;
    }

    /** The message's {@code __type}, or an empty string when it has none. */
    public String type(String message) {
        JsonNode json = read(message, "a message");
        JsonNode type = json.isObject() ? json.get("__type") : null;
        return type != null && type.isTextual() ? type.asText() : "";
    }

    /** A license message, checked field by field against the reference page. */
    public LicenseMessage licenseMessage(String message) {
        JsonNode json = read(message, "a license message");
        JsonNode isDelta = json.get("isDelta");
        if (isDelta == null || !isDelta.isBoolean()) {
            throw new MalformedMessageException("license message: isDelta is missing or not a boolean");
        }
        JsonNode list = json.get("licenseAssignedStatusList");
        if (list == null || !list.isArray()) {
            throw new MalformedMessageException("license message: licenseAssignedStatusList is missing or not a list");
        }
        List<LicenseStatus> statuses = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            JsonNode name = item.get("name");
            JsonNode assigned = item.get("isAssigned");
            if (name == null || !name.isTextual() || name.asText().isEmpty()) {
                throw new MalformedMessageException("license message: item " + i + " has no name");
            }
            if (assigned == null || !assigned.isBoolean()) {
                throw new MalformedMessageException("license message: item " + i + " has no boolean isAssigned");
            }
            statuses.add(new LicenseStatus(name.asText(), assigned.asBoolean()));
        }
        return new LicenseMessage(isDelta.asBoolean(), statuses);
    }

    /** {@code newConnectionState} of a connection state change message. */
    public String newConnectionState(String message) {
        return read(message, "a connection state message").path("newConnectionState").asText("");
    }

    /** {@code reason} of a connection state change message. */
    public String reason(String message) {
        return read(message, "a connection state message").path("reason").asText("");
    }

    /** The {@code error} of a subscription state message, or empty when it reports none. */
    public String subscriptionError(String message) {
        JsonNode error = read(message, "a subscription state message").get("error");
        return error == null || error.isNull() ? "" : error.toString();
    }

    /** Counts a message of a type nobody subscribed to; never an error. */
    public void ignore(String type) {
        ignored.computeIfAbsent(type.isEmpty() ? "(no __type)" : type, t -> new LongAdder()).increment();
        LOG.debug("Ignored an ICWS message of type {}", type);
    }

    /** Counts a message sent to the dead letters. */
    public void countMalformed() {
        malformed.increment();
    }

    /** How many messages of each ignored type arrived. */
    public Map<String, Long> ignoredCounts() {
        Map<String, Long> counts = new TreeMap<>();
        ignored.forEach((type, n) -> counts.put(type, n.sum()));
        return counts;
    }

    public long malformedCount() {
        return malformed.sum();
    }

    private JsonNode read(String text, String what) {
        if (text == null) {
            throw new MalformedMessageException(what + " is empty");
        }
        try {
            return mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new MalformedMessageException(what + " is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
