package io.icws.licenses.icws;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseStatus;

/**
 * Reads what the server sends — the array a poll returns, or the data of one server-sent event (one message,
 * or an array of them): splits it into single messages, names each message's {@code __type}, and turns license
 * messages into {@link LicenseMessage}. Anything that does not fit is a {@link MalformedMessageException} with
 * the reason, which the routes send to the dead letters whole. Stateless and thread-safe.
 */
public class IcwsMessages {

    public static final String LICENSE_MESSAGE = "urn:inin.com:licenses:licenseMessage";
    public static final String CONNECTION_STATE_CHANGE = "urn:inin.com:connection:connectionStateChangeMessage";
    public static final String SUBSCRIPTION_STATE = "urn:inin.com:messaging:subscriptionStateMessage";
    /** Header the routes set to the message's {@code __type}. */
    public static final String TYPE_HEADER = "IcwsMessageType";

    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * The messages of a poll answer or an event, each kept as its JSON text. Anything but a JSON array is one
     * message as it came, so that something malformed reaches the dead letters whole, through {@link #type}.
     */
    public List<String> split(String body) {
        if (body == null) {
            return List.of();
        }
        JsonNode json;
        try {
            json = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            return List.of(body);
        }
        if (json == null || !json.isArray()) {
            return List.of(body);
        }
        List<String> messages = new ArrayList<>(json.size());
        json.forEach(node -> messages.add(node.toString()));
        return messages;
    }
    /** The message's {@code __type}, or an empty string when it has none; not an object: malformed. */
    public String type(String message) {
        JsonNode json = read(message, "a message");
        if (!json.isObject()) {
            throw new MalformedMessageException("a message is not a JSON object but " + json.getNodeType());
        }
        JsonNode type = json.get("__type");
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

    private JsonNode read(String text, String what) {
        if (text == null) {
            throw new MalformedMessageException(what + " is empty");
        }
        try {
            JsonNode json = mapper.readTree(text);
            if (json == null || json.isMissingNode()) {
                throw new MalformedMessageException(what + " is empty");
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new MalformedMessageException(what + " is not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
