package io.icws.licenses.icws;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseStatus;
import io.icws.licenses.support.SafeText;

/**
 * Reads what the server sends — the array a poll returns, or the data of one server-sent event (one message,
 * or an array of them): splits it into single messages, names each message's {@code __type}, and turns license
 * messages into {@link LicenseMessage}. Anything that does not fit is a {@link MalformedMessageException} with
 * the reason, which the routes send to the dead letters whole. Thread-safe; its one state is a per-thread memo of
 * the message read last, so that the route's steps for one message ({@link #type}, then {@link #licenseMessage})
 * read its JSON once.
 */
public class IcwsMessages {

    public static final String LICENSE_MESSAGE = "urn:inin.com:licenses:licenseMessage";
    public static final String CONNECTION_STATE_CHANGE = "urn:inin.com:connection:connectionStateChangeMessage";
    public static final String SUBSCRIPTION_STATE = "urn:inin.com:messaging:subscriptionStateMessage";
    /** Header the routes set to the message's {@code __type}. */
    public static final String TYPE_HEADER = "IcwsMessageType";

    /**
     * Trailing tokens fail: Jackson would otherwise read {@code {"a":1} {"b":2}} as its first value and drop the
     * rest without a word, so an event or poll answer holding two JSON values would lose one.
     */
    private final ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * The messages of a poll answer or an event, each kept as its JSON text. Anything but a JSON array is one
     * message as it came, so that something malformed reaches the dead letters whole, through {@link #type}: so is
     * text holding more than one JSON value ({@code {"a":1} {"b":2}}, {@code [..] [..]}), which {@link #type} then
     * refuses as trailing JSON.
     */
    public List<String> split(String body) {
        if (body == null) {
            return List.of();
        }
        List<String> objects = arrayOfObjects(body);
        if (objects != null) {
            return objects;
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

    /**
     * The usual answer, a JSON array of objects and nothing after it, read as tokens: each object's text exactly as
     * it came (no tree, no writing it out again). Null when the body is anything else (a value that is not an
     * object, broken JSON, trailing text): {@link #split} then reads it as a tree.
     */
    private List<String> arrayOfObjects(String body) {
        try (JsonParser parser = mapper.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            List<String> messages = new ArrayList<>();
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.START_OBJECT) {
                long start = parser.currentTokenLocation().getCharOffset();
                parser.skipChildren();
                long end = parser.currentLocation().getCharOffset();
                if (start < 0 || end <= start || end > body.length()) {
                    return null;
                }
                messages.add(body.substring((int) start, (int) end));
            }
            return token == JsonToken.END_ARRAY && parser.nextToken() == null ? messages : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Name of the bean {@link #typeExpression()} is bound as: the routes set {@link #TYPE_HEADER} with it. */
    public static final String TYPE_EXPRESSION_BEAN = "icwsMessageType";

    /**
     * {@link #type} of the body, as an {@link org.apache.camel.Expression} the routes give {@code setHeader}
     * through the {@code ref} language: evaluated directly, per message, without the {@code method} language's copy
     * of the exchange and bean binding (which cost more than reading the message itself).
     */
    public org.apache.camel.Expression typeExpression() {
        return new org.apache.camel.support.ExpressionAdapter() {
            @Override
            public Object evaluate(org.apache.camel.Exchange exchange) {
                return type(exchange.getMessage().getBody(String.class));
            }

            @Override
            public String toString() {
                return "the message's __type";
            }
        };
    }

    /** The message's {@code __type}, or an empty string when it has none; not an object: malformed. */
    public String type(String message) {
        JsonNode json = read(message, "a message");
        LAST_READ.set(new Read(message, json));
        if (!json.isObject()) {
            throw new MalformedMessageException("a message is not a JSON object but " + json.getNodeType());
        }
        JsonNode type = json.get("__type");
        return type != null && type.isTextual() ? type.asText() : "";
    }

    /**
     * A license message, checked field by field against the reference page, in either shape: the SDK's list
     * ({@code licenseAssignedStatusList}) or the reference page's flat one ({@code name} and {@code isAssigned}
     * beside {@code isDelta}, one license per message). A flat message is applied as a delta of its one license,
     * whatever its {@code isDelta} (kept as {@link LicenseMessage#sentIsDelta()}): it never makes the other
     * subscribed licenses vanish or read as unassigned; see {@link LicenseMessage} for why.
     *
     * @throws MalformedMessageException naming the field and what is wrong: not JSON or not an object, trailing
     *                                   JSON after the message, a {@code __type} other than the license message's,
     *                                   {@code isDelta} missing or not a boolean, both shapes at once or neither, a
     *                                   list that is not a list or an item that is not an object, a name that is
     *                                   missing, empty or not a string, an {@code isAssigned} that is missing or not
     *                                   a boolean
     */
    public LicenseMessage licenseMessage(String message) {
        JsonNode json = readRemembered(message, "a license message");
        if (!json.isObject()) {
            throw new MalformedMessageException("license message: not a JSON object but " + json.getNodeType());
        }
        JsonNode type = json.get("__type");
        if (type != null && !(type.isTextual() && LICENSE_MESSAGE.equals(type.asText()))) {
            throw new MalformedMessageException("license message: __type is " + shown(type) + ", not \""
                    + LICENSE_MESSAGE + "\"");
        }
        JsonNode isDelta = json.get("isDelta");
        if (isDelta == null || !isDelta.isBoolean()) {
            throw new MalformedMessageException("license message: isDelta is "
                    + (isDelta == null ? "missing" : "not a boolean but " + shown(isDelta)));
        }
        boolean list = json.has("licenseAssignedStatusList");
        boolean flat = json.has("name") || json.has("isAssigned");
        if (list && flat) {
            throw new MalformedMessageException("license message: carries both shapes, licenseAssignedStatusList and "
                    + (json.has("name") ? "name" : "isAssigned") + " beside isDelta; one of them is expected");
        }
        if (!list && !flat) {
            throw new MalformedMessageException("license message: carries neither licenseAssignedStatusList nor "
                    + "name and isAssigned");
        }
        if (flat) {
            return LicenseMessage.flat(isDelta.asBoolean(), status(json, "the message"));
        }
        JsonNode items = json.get("licenseAssignedStatusList");
        if (!items.isArray()) {
            throw new MalformedMessageException("license message: licenseAssignedStatusList is not a list but "
                    + shown(items));
        }
        List<LicenseStatus> statuses = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                throw new MalformedMessageException("license message: licenseAssignedStatusList item " + i
                        + " is not an object but " + shown(item));
            }
            statuses.add(status(item, "licenseAssignedStatusList item " + i));
        }
        return new LicenseMessage(isDelta.asBoolean(), statuses);
    }

    private static LicenseStatus status(JsonNode node, String where) {
        JsonNode name = node.get("name");
        JsonNode assigned = node.get("isAssigned");
        if (name == null || !name.isTextual() || name.asText().isEmpty()) {
            throw new MalformedMessageException("license message: " + where + " has "
                    + (name == null ? "no name" : name.isTextual() ? "an empty name" : "a name that is not a string but "
                    + shown(name)));
        }
        if (assigned == null || !assigned.isBoolean()) {
            throw new MalformedMessageException("license message: " + where + " has "
                    + (assigned == null ? "no isAssigned" : "an isAssigned that is not a boolean but " + shown(assigned)));
        }
        return new LicenseStatus(name.asText(), assigned.asBoolean());
    }

    /** A JSON value from the server as a person reads it in a log line or a dead letter's reason: bounded, one line. */
    private static String shown(JsonNode node) {
        String kind = node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        return node.isContainerNode() ? "a" + (node.isArray() ? "n " : " ") + kind
                : kind + " " + SafeText.line(node.toString(), 80);
    }

    /** {@code newConnectionState} of a connection state change message. */
    public String newConnectionState(String message) {
        return read(message, "a connection state message").path("newConnectionState").asText("");
    }

    /** {@code reason} of a connection state change message. */
    public String reason(String message) {
        return read(message, "a connection state message").path("reason").asText("");
    }

    /**
     * {@code shouldReconnect} of a connection state change message: false only when the message says so (an
     * administrator's logoff); missing, null or not a boolean reads as true, the protocol's default of logging in again.
     */
    public boolean shouldReconnect(String message) {
        JsonNode v = read(message, "a connection state message").get("shouldReconnect");
        return v == null || !v.isBoolean() || v.booleanValue();
    }

    /** The {@code error} of a subscription state message, or empty when it reports none. */
    public String subscriptionError(String message) {
        JsonNode error = read(message, "a subscription state message").get("error");
        return error == null || error.isNull() ? "" : error.toString();
    }

    /** The message this thread read last in {@link #type}, and its JSON (read only, never changed). */
    private record Read(String text, JsonNode json) {
    }

    private static final ThreadLocal<Read> LAST_READ = new ThreadLocal<>(); // every instance: the route's and a watch's own

    /** As {@link #read}, but the JSON {@link #type} read from this very string on this thread is taken again. */
    private JsonNode readRemembered(String text, String what) {
        Read last = LAST_READ.get();
        if (last != null) {
            LAST_READ.remove();
            if (last.text() == text) {
                return last.json();
            }
        }
        return read(text, what);
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
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            if (e.getOriginalMessage() != null && e.getOriginalMessage().contains("Trailing token")) {
                throw new MalformedMessageException(what + " is followed by more JSON (trailing tokens after the "
                        + "first value): " + SafeText.line(e.getOriginalMessage(), 200), e);
            }
            throw new MalformedMessageException(what + " is not JSON: " + SafeText.line(e.getOriginalMessage(), 200), e);
        } catch (JsonProcessingException e) {
            throw new MalformedMessageException(what + " is not JSON: " + SafeText.line(e.getOriginalMessage(), 200), e);
        }
    }
}
