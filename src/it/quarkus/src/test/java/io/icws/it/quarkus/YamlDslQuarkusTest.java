package io.icws.it.quarkus;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The YAML DSL in Quarkus: {@code camel.main.routes-include-pattern=classpath:icws/routes/*.yaml} and a producer of
 * {@code new IcwsConnectionRoutes()}.
 */
@QuarkusTest
@TestProfile(YamlDslQuarkusTest.Yaml.class)
@QuarkusTestResource(value = SimulatorResource.class, restrictToAnnotatedClass = true)
class YamlDslQuarkusTest {

    public static class Yaml implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("camel.main.routes-include-pattern", "classpath:icws/routes/*.yaml",
                    "host.icws.routes", "yaml");
        }
    }

    @Inject
    CamelContext camel;

    @Test
    void yamlRoutesRunInQuarkus() throws Exception {
        assertThat(camel.getRoute("icws-watch-default").getSourceLocation()).contains("icws-license-watch.yaml");
        QuarkusHostChecks.oneChangeOneFileAndLogOutOnStop(camel);
    }
}
