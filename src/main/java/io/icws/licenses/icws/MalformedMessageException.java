package io.icws.licenses.icws;

/** A message from the server that cannot be parsed or does not fit the model; it goes to the dead letters. */
public final class MalformedMessageException extends RuntimeException {

    public MalformedMessageException(String reason) {
        super(reason);
    }

    public MalformedMessageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
