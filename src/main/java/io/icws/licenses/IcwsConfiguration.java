package io.icws.licenses;

import io.icws.licenses.routes.IcwsConnectionRoutes;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * For camel-main (and anything that runs {@link CamelConfiguration} classes) with the YAML routes: checks the
 * {@code icws.*} settings, binds the shared beans, and makes one route from the template
 * {@code icws-license-watch} per configured connection (camel-main adds templated routes after every YAML file
 * is loaded). Add it with {@code camel.main.configuration-classes=io.icws.licenses.IcwsConfiguration}.
 */
public class IcwsConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext camelContext) throws Exception {
        IcwsBindings.bind(camelContext);
        if (camelContext.getRegistry().lookupByName("icwsConnectionRoutes") == null) {
            camelContext.getRegistry().bind("icwsConnectionRoutes", new IcwsConnectionRoutes());
        }
    }
}
