package io.icws.licenses.routes;

/** The acceptance suite against the java routes, receiving by sse. */
class JavaSseAcceptanceTest extends LicenseRoutesAcceptanceTest {

    @Override
    String dsl() {
        return "java";
    }

    @Override
    String receive() {
        return "sse";
    }
}
