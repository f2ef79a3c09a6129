package io.icws.licenses.routes;

import io.icws.licenses.IcwsBindings;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;

/**
 * All the ICWS license routes in Java DSL, for a Camel runtime a team already runs:
 * {@code context.addRoutes(new IcwsLicenseRoutes())}. Checks the settings and binds the shared beans, then adds
 * the error handling, the route template {@code icws-license-watch}, the target routes, the route template
 * {@code icws-endpoint-target} with one route from it per endpoint target ({@code icws.notify.endpoints}), and one
 * route from {@code icws-license-watch} per configured connection. The same routes as the YAML in {@code routes/}.
 */
public class IcwsLicenseRoutes extends RouteBuilder {

    @Override
    public void addRoutesToCamelContext(CamelContext context) throws Exception {
        IcwsBindings.bind(context);
        new IcwsErrorHandling().addRouteConfigurationsToCamelContext(context);
        new LicenseWatchTemplate().addRoutesToCamelContext(context);
        new TargetRoutes().addRoutesToCamelContext(context);
        new EndpointTargetTemplate().addRoutesToCamelContext(context);
        new EndpointTargetRoutes().addRoutesToCamelContext(context);
        new IcwsConnectionRoutes().addRoutesToCamelContext(context);
    }

    @Override
    public void configure() {
        // the routes come from the builders above, one per concern
    }
}
