package io.icws.licenses.icws;

/** The ICWS requests the routes make, with the status each expects. */
public enum IcwsCall {
    LOGIN("POST", "/icws/connection", 201),
    SUBSCRIBE("PUT", "/icws/%s/messaging/subscriptions/licenses", 200),
    MESSAGES("GET", "/icws/%s/messaging/messages", 200),
    UNSUBSCRIBE("DELETE", "/icws/%s/messaging/subscriptions/licenses", 204),
    LOGOUT("DELETE", "/icws/%s/connection", 204);

    private final String method;
    private final String pathTemplate;
    private final int expectedStatus;

    IcwsCall(String method, String pathTemplate, int expectedStatus) {
        this.method = method;
        this.pathTemplate = pathTemplate;
        this.expectedStatus = expectedStatus;
    }

    public String method() {
        return method;
    }

    /** The request path; the session id is filled in for session requests. */
    public String path(String sessionId) {
        return this == LOGIN ? pathTemplate : String.format(pathTemplate, sessionId);
    }

    /** Any 2xx is accepted (the reference page says 200/204, servers differ); this is for messages. */
    public int expectedStatus() {
        return expectedStatus;
    }

    /** How a person names this request in a log line: method and path with the session id hidden. */
    public String describe() {
        return method + " " + pathTemplate.replace("%s", "{sessionId}");
    }
}
