package io.icws.licenses.outbox;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultComponent;

/**
 * {@code icws-outbox:<target>}: a route that starts {@code from("icws-outbox:file")} delivers the events of
 * the target's outbox queue, oldest first, one at a time. Uses the {@link Outbox} and {@link DeadLetters}
 * beans the context holds ({@code icwsOutbox}, {@code icwsDeadLetters}).
 */
public class OutboxComponent extends DefaultComponent {

    /** Registry name of the outbox. */
    public static final String OUTBOX_BEAN = "icwsOutbox";
    /** Registry name of the dead letters. */
    public static final String DEAD_LETTERS_BEAN = "icwsDeadLetters";

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        Outbox outbox = CamelContextHelper.mandatoryLookup(getCamelContext(), OUTBOX_BEAN, Outbox.class);
        DeadLetters deadLetters = CamelContextHelper.mandatoryLookup(getCamelContext(), DEAD_LETTERS_BEAN,
                DeadLetters.class);
        OutboxEndpoint endpoint = new OutboxEndpoint(uri, this, remaining, outbox, deadLetters);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
