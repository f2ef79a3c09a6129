package io.icws.it.boot;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java DSL in Spring Boot (profile java-dsl): a {@code @Bean RoutesBuilder} returning {@code new IcwsLicenseRoutes()}. */
class JavaDslBootTest extends BootHostTestSupport {

    @Test
    void javaRoutesRunInSpringBoot(CapturedOutput output) throws Exception {
        noEmbeddedBroker();
        classpathFacts();
        ConfigurableApplicationContext application = start("java-dsl", false);
        assertThat(application.getBeanNamesForType(org.apache.camel.RoutesBuilder.class)).containsExactly("icwsLicenseRoutes");
        oneChangeOneFileAndLogOutOnClose(application, output);
    }
}
