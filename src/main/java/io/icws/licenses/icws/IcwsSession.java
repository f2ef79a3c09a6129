package io.icws.licenses.icws;

import java.net.URI;

import io.icws.licenses.support.SafeText;

/**
 * One logged-in ICWS session: where it lives, what authenticates every later request, and what the server
 * offers. {@link #toString()} never shows the CSRF token or the cookies. The session id goes into request paths
 * and the token into a header, so both are checked here too ({@link IcwsClient#SESSION_ID}, a plain header
 * value); {@link IcwsClient} refuses a login answer with either before it gets this far.
 *
 * @param cookies          every cookie the login answer set, as a {@code Cookie} header value
 *                         ({@code icws_<id>=…; other=…})
 * @param messagingVersion the {@code messaging} feature version the server reported (0 if unknown)
 */
public record IcwsSession(URI server, String sessionId, String csrfToken, String cookies, int messagingVersion) {

    public IcwsSession {
        if (sessionId == null || !IcwsClient.SESSION_ID.matcher(sessionId).matches()) {
            throw new IllegalArgumentException("not a plain session id: '" + SafeText.line(sessionId, 140) + "'");
        }
        if (csrfToken == null || !IcwsClient.CSRF_TOKEN.matcher(csrfToken).matches()) {
            throw new IllegalArgumentException("the CSRF token is not a plain header value");
        }
    }

    @Override
    public String toString() {
        return "IcwsSession[server=" + server + ", sessionId=" + sessionId + "]";
    }
}
