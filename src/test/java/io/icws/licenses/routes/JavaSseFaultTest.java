package io.icws.licenses.routes;

/**
 * The fault suite against the java routes, receiving by server-sent events. (Polling runs against the YAML routes;
 * DslParityTest shows the two DSLs build the same route model.)
 */
class JavaSseFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "java";
    }

    @Override
    String receive() {
        return "sse";
    }
}
