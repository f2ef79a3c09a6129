package io.icws.licenses.routes;

/** The acceptance suite against the java routes, receiving by poll. */
class JavaPollAcceptanceTest extends LicenseRoutesAcceptanceTest {

    @Override
    String dsl() {
        return "java";
    }

    @Override
    String receive() {
        return "poll";
    }
}
