package io.icws.it.boot;

import io.icws.licenses.routes.IcwsLicenseRoutes;
import org.apache.camel.RoutesBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;

/** The Java DSL: one RoutesBuilder bean adds everything (settings checked, beans bound, template, routes). */
@Configuration(proxyBeanMethods = false)
@Profile("java-dsl")
public class JavaDslRoutes {

    @Bean
    RoutesBuilder icwsLicenseRoutes() {
        return new IcwsLicenseRoutes();
    }
}
