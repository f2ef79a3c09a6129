package io.icws.licenses.icws;

import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;

/**
 * A JSON request body that holds a secret (the login request carries the password). camel-http sends an
 * {@code HttpEntity} body as it is; this one prints as a placeholder, so that an error handler, a tracer or
 * a debug log that shows the exchange body never shows the password.
 */
final class SecretJsonEntity extends ByteArrayEntity {

    SecretJsonEntity(byte[] json) {
        super(json, ContentType.APPLICATION_JSON);
    }

    @Override
    public String toString() {
        return "[ICWS login request: not shown, it holds the password]";
    }
}
