package io.icws.it.boot;

import io.icws.licenses.routes.IcwsConnectionRoutes;
import org.apache.camel.RoutesBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;

/**
 * The YAML DSL: the routes come from {@code classpath:icws/routes/*.yaml} ({@code camel.main.routes-include-pattern}
 * in {@code application-yaml-dsl.properties}); this bean binds the shared beans and makes one route per connection
 * from the YAML route template.
 */
@Configuration(proxyBeanMethods = false)
@Profile("yaml-dsl")
public class YamlDslRoutes {

    @Bean
    RoutesBuilder icwsConnectionRoutes() {
        return new IcwsConnectionRoutes();
    }
}
