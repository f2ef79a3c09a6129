package io.icws.licenses.icws;

/** The ICWS requests the routes make. */
public enum IcwsCall {
    LOGIN("POST", "/icws/connection"),
    FEATURES("GET", "/icws/connection/features"),
    SUBSCRIBE("PUT", "/icws/%s/messaging/subscriptions/licenses"),
    MESSAGES("GET", "/icws/%s/messaging/messages"),
    STREAM("GET", "/icws/%s/messaging/messages"),
    HEARTBEAT("POST", "/icws/%s/messaging/heartbeat"),
    UNSUBSCRIBE("DELETE", "/icws/%s/messaging/subscriptions/licenses"),
    LOGOUT("DELETE", "/icws/%s/connection");

    private final String method;
    private final String pathTemplate;

    IcwsCall(String method, String pathTemplate) {
        this.method = method;
        this.pathTemplate = pathTemplate;
    }

    public String method() {
        return method;
    }

    /** The request path; the session id is filled in for session requests. */
    public String path(String sessionId) {
        return pathTemplate.contains("%s") ? String.format(pathTemplate, sessionId) : pathTemplate;
    }

    /** How a person names this request in a log line: method and path with the session id hidden. */
    public String describe() {
        return (this == STREAM ? "GET (event stream) " : method + " ") + pathTemplate.replace("%s", "{sessionId}");
    }
}
