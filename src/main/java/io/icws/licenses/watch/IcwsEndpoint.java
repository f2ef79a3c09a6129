package io.icws.licenses.watch;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code icws:<connection>?watch=#<bean>}: the messages of one ICWS connection. The connection's settings are
 * {@code icws.connections.<connection>.*}, falling back to {@code icws.*}; the watch bean holds its state.
 */
public class IcwsEndpoint extends DefaultEndpoint {

    private final String connection;
    private LicenseWatch watch;

    IcwsEndpoint(String uri, IcwsComponent component, String connection) {
        super(uri, component);
        this.connection = connection;
    }

    @Override
    public IcwsComponent getComponent() {
        return (IcwsComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("icws:" + connection + " is a consumer endpoint only");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if (!connection.equals(watch.id())) {
            throw new IllegalArgumentException("icws:" + connection + " was given the watch of connection " + watch.id());
        }
        IcwsConsumer consumer = new IcwsConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public boolean isRemote() {
        return true;
    }

    public String getConnection() {
        return connection;
    }

    public LicenseWatch getWatch() {
        return watch;
    }

    /** The connection's state and settings: a {@link LicenseWatch}, one per connection. */
    public void setWatch(LicenseWatch watch) {
        this.watch = watch;
    }
}
