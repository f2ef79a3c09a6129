package io.icws.licenses.icws;

import java.util.List;

/**
 * An ICWS request answered with an error status. {@link #kind()} says what the routes do about it,
 * following the protocol: 401 means the session is gone; 400 and 410 cannot be helped by retrying;
 * 500 and other 5xx are transient; 503 during a switchover names the hosts to try.
 */
public final class IcwsRequestException extends RuntimeException {

    /** What a failed request means for the connection. */
    public enum Kind { SESSION_EXPIRED, TRANSIENT, SWITCHOVER, PERMANENT }

    private final IcwsCall call;
    private final int status;
    private final String errorId;
    private final List<String> alternateHosts;

    public IcwsRequestException(IcwsCall call, int status, String errorId, String serverMessage,
                                List<String> alternateHosts) {
        super(call.describe() + " answered " + status
                + (errorId == null ? "" : " errorId=" + errorId)
                + (serverMessage == null ? "" : " message=\"" + serverMessage + "\""));
        this.call = call;
        this.status = status;
        this.errorId = errorId;
        this.alternateHosts = List.copyOf(alternateHosts);
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
