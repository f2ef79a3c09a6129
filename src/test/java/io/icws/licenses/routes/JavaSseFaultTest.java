package io.icws.licenses.routes;

/** The fault suite against the java routes, receiving by sse. */
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
