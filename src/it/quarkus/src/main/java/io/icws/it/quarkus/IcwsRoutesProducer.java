package io.icws.it.quarkus;

import io.icws.licenses.routes.IcwsConnectionRoutes;
import io.icws.licenses.routes.IcwsLicenseRoutes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.camel.RoutesBuilder;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The ICWS license routes as a CDI bean (Camel Quarkus adds every RoutesBuilder bean): the Java DSL
 * ({@code IcwsLicenseRoutes}), or with {@code host.icws.routes=yaml} the builder that goes with the YAML routes
 * ({@code IcwsConnectionRoutes}; the YAML itself comes from {@code camel.main.routes-include-pattern}).
 */
@ApplicationScoped
public class IcwsRoutesProducer {

    @Produces
    @ApplicationScoped
    RoutesBuilder icwsRoutes(@ConfigProperty(name = "host.icws.routes", defaultValue = "java") String routes) {
        return "yaml".equals(routes) ? new IcwsConnectionRoutes() : new IcwsLicenseRoutes();
    }
}
