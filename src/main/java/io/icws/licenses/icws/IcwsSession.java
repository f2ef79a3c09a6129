package io.icws.licenses.icws;

import java.net.URI;

/**
 * One logged-in ICWS session: where it lives and what authenticates every later request.
 * {@link #toString()} never shows the CSRF token or the cookie.
 */
public record IcwsSession(URI server, String sessionId, String csrfToken, String cookie) {

    @Override
    public String toString() {
        return "IcwsSession[server=" + server + ", sessionId=" + sessionId + "]";
    }
}
