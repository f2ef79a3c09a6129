package io.icws.licenses.routes;

/** The fault suite against the java routes, receiving by poll. */
class JavaPollFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "java";
    }

    @Override
    String receive() {
        return "poll";
    }
}
