package io.icws.licenses.icws;

import java.net.URI;

/**
 * One logged-in ICWS session: where it lives, what authenticates every later request, and what the server
 * offers. {@link #toString()} never shows the CSRF token or the cookies.
 *
 * @param cookies          every cookie the login answer set, as a {@code Cookie} header value
 *                         ({@code icws_<id>=…; other=…})
 * @param messagingVersion the {@code messaging} feature version the server reported (0 if unknown)
 */
public record IcwsSession(URI server, String sessionId, String csrfToken, String cookies, int messagingVersion) {

    @Override
    public String toString() {
        return "IcwsSession[server=" + server + ", sessionId=" + sessionId + "]";
    }
}
