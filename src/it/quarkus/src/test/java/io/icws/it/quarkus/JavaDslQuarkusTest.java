package io.icws.it.quarkus;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;

/** The Java DSL in Quarkus: a CDI producer of {@code new IcwsLicenseRoutes()}. */
@QuarkusTest
@QuarkusTestResource(value = SimulatorResource.class, restrictToAnnotatedClass = true)
class JavaDslQuarkusTest {

    @Inject
    CamelContext camel;

    @Test
    void javaRoutesRunInQuarkus() throws Exception {
        QuarkusHostChecks.oneChangeOneFileAndLogOutOnStop(camel);
    }
}
