package io.icws.licenses.icws;

import java.net.URI;

/**
 * What a connection's session does that someone counts (the {@code icws_logins_total} and
 * {@code icws_server_switches_total} meters): told by {@link IcwsConnection} on its lane. The connection's
 * {@link IcwsConnection.Receiver} may also implement this; {@link #of(Object)} finds it there, so the session
 * needs no extra argument and a receiver that counts nothing costs nothing.
 */
public interface SessionEvents {

    /** Nothing counted. */
    SessionEvents NONE = new SessionEvents() {
    };

    /** A log-in to this server is about to be sent. */
    default void connecting(URI server) {
    }

    /** A log-in to this server succeeded. */
    default void loggedIn(URI server) {
    }

    /** The receiver's session events, if it has any; else {@link #NONE}. */
    static SessionEvents of(Object receiver) {
        return receiver instanceof SessionEvents events ? events : NONE;
    }
}
