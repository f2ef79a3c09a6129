package io.icws.it.boot;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The YAML DSL in Spring Boot (profile yaml-dsl): {@code camel.main.routes-include-pattern=classpath:icws/routes/*.yaml}
 * and a {@code @Bean RoutesBuilder} returning {@code new IcwsConnectionRoutes()}.
 */
class YamlDslBootTest extends BootHostTestSupport {

    @Test
    void yamlRoutesRunInSpringBoot(CapturedOutput output) throws Exception {
        ConfigurableApplicationContext application = start("yaml-dsl", true);
        assertThat(application.getBeanNamesForType(org.apache.camel.RoutesBuilder.class)).containsExactly("icwsConnectionRoutes");
        // the connection's route was made from the template of the YAML in the jar, not from Java DSL
        CamelContext camel = application.getBean(CamelContext.class);
        assertThat(camel.getRoute("icws-watch-default").getSourceLocation()).contains("icws-license-watch.yaml");
        oneChangeOneFileAndLogOutOnClose(application, output);
    }
}
