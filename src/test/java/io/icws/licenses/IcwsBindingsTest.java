package io.icws.licenses;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Connections named only by their keys are found wherever a person may have written those keys. */
class IcwsBindingsTest {

    @Test
    void connectionKeysGivenAsJvmSystemPropertiesAreFound() throws Exception {
        System.setProperty("icws.connections.from-d.user", "svc");
        try (CamelContext context = new DefaultCamelContext()) {
            assertThat(IcwsBindings.connectionKeys(context.getPropertiesComponent()))
                    .contains("icws.connections.from-d.user");
        } finally {
            System.clearProperty("icws.connections.from-d.user");
        }
    }
}
