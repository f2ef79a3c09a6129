package io.icws.licenses.outbox;

/**
 * Thrown from a target route to say that the target cannot take <em>any</em> event now (it is down,
 * unreachable, full, throttling). The outbox holds the target's queue and tries the same event again, with a
 * wait that doubles up to {@code maximumRedeliveryDelay}, for as long as this lasts; it never puts an event in
 * the dead letters for it, and the target's health check is DOWN meanwhile.
 *
 * <p>For your own target routes ({@code from("icws-outbox:<name>")}), when a failure would otherwise be taken
 * for a refusal (see {@link TargetFailures}), e.g. a web service answering 200 with an "unavailable" body.
 * The opposite marker is {@link TargetRefusedException}.
 */
public class TargetOutageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TargetOutageException(String message) {
        super(message);
    }

    public TargetOutageException(String message, Throwable cause) {
        super(message, cause);
    }
}
