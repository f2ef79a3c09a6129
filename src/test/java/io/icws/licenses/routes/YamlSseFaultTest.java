package io.icws.licenses.routes;

/** The fault suite against the yaml routes, receiving by sse. */
class YamlSseFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "sse";
    }
}
