package io.icws.licenses.outbox;

import java.time.Instant;
import java.util.Map;

import io.icws.licenses.config.SettingsReader;

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

    private Instant stopDeadline;

    /**
     * When the deliveries under way must have ended: {@code icws.shutdown.timeout} after the first target of a
     * stop began stopping, one instant for all targets (Camel stops their routes one after the other).
     */
    synchronized Instant stopDeadline() {
        if (stopDeadline == null) {
            stopDeadline = Instant.now().plus(new SettingsReader(getCamelContext().getPropertiesComponent()::resolveProperty)
                    .duration("icws.shutdown.timeout", "5s"));
        }
        return stopDeadline;
    }

    /** A target started: the next stop has a deadline of its own. */
    synchronized void targetStarted() {
        stopDeadline = null;
    }

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
