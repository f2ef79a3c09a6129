package io.icws.licenses.support;

/** The MDC keys this project sets on every log line of a connection's work. */
public final class Mdc {

    /** The connection id, e.g. {@code default} or {@code site-a}. */
    public static final String CONNECTION = "icws.connection";

    private Mdc() {
    }
}
