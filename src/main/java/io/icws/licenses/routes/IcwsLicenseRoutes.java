package io.icws.licenses.routes;

import io.icws.licenses.IcwsBindings;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;

/**
 * All the ICWS license routes in Java DSL, for a Camel runtime that a team already runs:
 * {@code context.addRoutes(new IcwsLicenseRoutes())}. Binds the beans the routes use (from the
 * {@code icws.*} settings) if the context does not have them yet, then adds the error handling, the
 * session, receive and notification routes. The same flow as the YAML routes in {@code routes/}.
 */
public class IcwsLicenseRoutes extends RouteBuilder {

    @Override
    public void addRoutesToCamelContext(CamelContext context) throws Exception {
        IcwsBindings.bind(context);
        new IcwsErrorHandling().addRouteConfigurationsToCamelContext(context);
        new IcwsSessionRoutes().addRoutesToCamelContext(context);
        new IcwsReceiveRoutes().addRoutesToCamelContext(context);
        new LicenseChangeRoutes().addRoutesToCamelContext(context);
    }

    @Override
    public void configure() {
        // the routes come from the builders above, one per concern
    }
}
