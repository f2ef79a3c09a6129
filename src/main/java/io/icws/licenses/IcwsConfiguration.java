package io.icws.licenses;

import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * For camel-main (and anything that runs {@link CamelConfiguration} classes): checks the {@code icws.*}
 * settings and binds the beans the YAML and Java routes call. Add it with
 * {@code camel.main.configuration-classes=io.icws.licenses.IcwsConfiguration}.
 */
public class IcwsConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext camelContext) throws Exception {
        IcwsBindings.bind(camelContext);
    }
}
