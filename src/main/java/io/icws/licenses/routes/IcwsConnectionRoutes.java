package io.icws.licenses.routes;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import io.icws.licenses.IcwsBindings;
import io.icws.licenses.config.IcwsSettings;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.RouteTemplateParameterSource;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.model.Model;

/**
 * One route from the template {@code icws-license-watch} per connection the settings name
 * ({@code icws.connections.<id>.*}, or the top-level {@code icws.*} keys as the connection {@code default}),
 * with the route id {@code icws-watch-<id>}. Also binds the shared beans (checking every setting first). Add it
 * next to the YAML routes in any runtime; camel-main gets it through {@link io.icws.licenses.IcwsConfiguration}.
 * It works whichever is added first: connections whose template is not loaded yet are made when it is (camel-main
 * adds templated routes last), at the latest when the context initialises (a {@link RouteTemplateParameterSource}); a connection that already has its route
 * (a {@code templatedRoute} of your own, say) is left alone.
 */
public class IcwsConnectionRoutes extends RouteBuilder {

    /** The id of the route template every connection is made from. */
    public static final String TEMPLATE = "icws-license-watch";

    private static final String MISSING_TEMPLATE = "The route template " + TEMPLATE + " is not loaded: add the YAML "
            + "routes (classpath:icws/routes/*.yaml) or new LicenseWatchTemplate() to the CamelContext";

    @Override
    public void addRoutesToCamelContext(CamelContext context) throws Exception {
        IcwsBindings.bind(context);
        if (addConnections(context)) {
            return;
        }
        if (context.isStarted()) {
            throw new IllegalStateException(MISSING_TEMPLATE);
        }
        // the template comes later: Camel makes the routes when it initialises, from this source
        context.getRegistry().bind("icws-connections", RouteTemplateParameterSource.class, new MissingConnections(context));
    }

    @Override
    public void addTemplatedRoutesToCamelContext(CamelContext context) throws Exception {
        addConnections(context);
    }

    @Override
    public void configure() {
        // the routes come from the template, one per connection (addConnections)
    }

    /** Makes the missing connections' routes; false while the template is not there yet. */
    private static synchronized boolean addConnections(CamelContext context) throws Exception {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        if (model.getRouteTemplateDefinition(TEMPLATE) == null) {
            return false;
        }
        IcwsSettings settings = IcwsBindings.bind(context);
        for (String id : settings.connections()) {
            if (model.getRouteDefinition(routeId(id)) == null) {
                TemplatedRouteBuilder.builder(context, TEMPLATE).routeId(routeId(id)).parameter("connection", id).add();
            }
        }
        return true;
    }

    /** The connections without a route yet, for Camel to make from the template while it initialises. */
    private record MissingConnections(CamelContext context) implements RouteTemplateParameterSource {

        @Override
        public Set<String> routeIds() {
            Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
            if (model.getRouteTemplateDefinition(TEMPLATE) == null) {
                throw new IllegalStateException(MISSING_TEMPLATE);
            }
            Set<String> missing = new LinkedHashSet<>();
            for (String id : settings().connections()) {
                if (model.getRouteDefinition(routeId(id)) == null) {
                    missing.add(routeId(id));
                }
            }
            return missing;
        }

        private IcwsSettings settings() {
            return IcwsBindings.bound(context);
        }

        @Override
        public Map<String, Object> parameters(String routeId) {
            return Map.of(TEMPLATE_ID, TEMPLATE, "connection", routeId.substring("icws-watch-".length()));
        }
    }

    /** The route id of a connection. */
    public static String routeId(String connection) {
        return "icws-watch-" + connection;
    }
}
