package io.icws.licenses.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.icws.licenses.config.SettingsReader;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.OnCamelContextStopping;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.LifecycleStrategySupport;

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

    private volatile Instant contextStopDeadline;
    private boolean watchingContextStop;

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        contextStopDeadline = null;
        if (!watchingContextStop) {
            watchingContextStop = true;
            // the context stops its routes one after the other: every target gets the same deadline
            getCamelContext().addLifecycleStrategy(LifecycleStrategySupport.adapt(
                    (OnCamelContextStopping) context -> contextStopDeadline = Instant.now().plus(shutdownTimeout())));
        }
    }

    /**
     * When a delivery under way must have ended: {@code icws.shutdown.timeout} after the context began stopping
     * (one instant for all targets), or after this target's route alone began stopping.
     */
    Instant stopDeadline() {
        Instant whole = contextStopDeadline;
        return whole != null ? whole : Instant.now().plus(shutdownTimeout());
    }

    private Duration shutdownTimeout() {
        return new SettingsReader(getCamelContext().getPropertiesComponent()::resolveProperty)
                .duration("icws.shutdown.timeout", "5s");
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
