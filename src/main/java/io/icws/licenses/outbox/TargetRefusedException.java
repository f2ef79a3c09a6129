package io.icws.licenses.outbox;

/**
 * Thrown from a target route to say that the target refused <em>this</em> event (it will refuse it however
 * often it is sent: an address it rejects, a message too large, content it cannot take). The outbox tries it
 * {@code maximumRedeliveries} more times, then keeps it in the dead letters and goes on with the next event.
 *
 * <p>For your own target routes ({@code from("icws-outbox:<name>")}): throw it, or let a failure it wraps
 * through, when a failure is about the event and not about the target being reachable. The opposite marker
 * is {@link TargetOutageException}; see {@link TargetFailures} for how any other failure is sorted.
 */
public class TargetRefusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TargetRefusedException(String message) {
        super(message);
    }

    public TargetRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
