package io.icws.licenses.routes;

/** The acceptance suite against the yaml routes, receiving by sse. */
class YamlSseAcceptanceTest extends LicenseRoutesAcceptanceTest {

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "sse";
    }
}
