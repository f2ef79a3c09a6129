package io.icws.licenses.icws;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.icws.licenses.support.SafeText;

/**
 * An ICWS request answered with an error status. {@link #kind()} says what the connection does about it,
 * following the protocol: 401 means the session is gone; 400 and 410 cannot be helped by retrying; 500 and
 * other 5xx are transient; 503 during a switchover names the hosts to try. The server's words are untrusted:
 * they are shown on one line, bounded.
 */
public final class IcwsRequestException extends RuntimeException {

    /** What a failed request means for the connection. */
    public enum Kind { SESSION_EXPIRED, TRANSIENT, SWITCHOVER, PERMANENT }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final IcwsCall call;
    private final int status;
    private final String errorId;
    private final List<String> alternateHosts;

    public IcwsRequestException(IcwsCall call, int status, String errorId, String serverMessage,
                                List<String> alternateHosts) {
        super(call.describe() + " answered " + status + detail(errorId, serverMessage), null, false, false);
        this.call = call;
        this.status = status;
        this.errorId = errorId;
        this.alternateHosts = List.copyOf(alternateHosts);
    }

    /** An error answer as an exception: status, and the body's {@code errorId}, {@code message}, {@code alternateHostList}. */
    public static IcwsRequestException of(IcwsCall call, int status, String body) {
        String errorId = null;
        String message = null;
        List<String> alternates = new ArrayList<>();
        if (body != null && !body.isBlank()) {
            try {
                JsonNode json = MAPPER.readTree(body);
                errorId = text(json, "errorId");
                message = text(json, "message");
                json.path("alternateHostList").forEach(n -> alternates.add(n.asText()));
            } catch (JsonProcessingException e) {
                message = "(error body is not JSON)";
            }
        }
        return new IcwsRequestException(call, status, errorId, message, alternates);
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private static String detail(String errorId, String serverMessage) {
        if (errorId == null && serverMessage == null) {
            return "";
        }
        String text = (errorId == null ? "" : errorId) + (errorId != null && serverMessage != null ? ": " : "")
                + (serverMessage == null ? "" : serverMessage);
        return " (" + SafeText.line(text, 300) + ")";
    }

    public IcwsCall call() {
        return call;
    }

    public int status() {
        return status;
    }

    public String errorId() {
        return errorId;
    }

    public List<String> alternateHosts() {
        return alternateHosts;
    }

    public Kind kind() {
        if (status == 401) {
            return Kind.SESSION_EXPIRED;
        }
        if (status == 503 && !alternateHosts.isEmpty()) {
            return Kind.SWITCHOVER;
        }
        if (status >= 500 || status == 408 || status == 429) {
            return Kind.TRANSIENT;
        }
        return Kind.PERMANENT;
    }
}
