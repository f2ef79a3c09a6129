package io.icws.licenses.routes;

import io.icws.licenses.IcwsBindings;
import io.icws.licenses.config.IcwsSettings;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.Model;

/**
 * One route from the template {@code icws-license-watch} per connection the settings name
 * ({@code icws.connections.<id>.*}, or the top-level {@code icws.*} keys as the connection {@code default}),
 * with the route id {@code icws-watch-<id>}. Also binds the shared beans (checking every setting first). Add it next
 * to the YAML routes in any runtime; camel-main gets it through {@link io.icws.licenses.IcwsConfiguration}.
 * A connection that already has its route (say, a {@code templatedRoute} of your own) is left alone.
 */
public class IcwsConnectionRoutes extends RouteBuilder {

    @Override
    public void addRoutesToCamelContext(CamelContext context) throws Exception {
        IcwsBindings.bind(context);
        super.addRoutesToCamelContext(context);
    }

    @Override
    public void configure() throws Exception {
        IcwsSettings settings = IcwsBindings.bind(getContext());
        for (String id : settings.connections()) {
            if (getContext().getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinition(routeId(id))
                    == null) {
                templatedRoute("icws-license-watch").routeId(routeId(id)).parameter("connection", id);
            }
        }
    }

    /** The route id of a connection. */
    public static String routeId(String connection) {
        return "icws-watch-" + connection;
    }
}
