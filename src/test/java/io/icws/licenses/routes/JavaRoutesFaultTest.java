package io.icws.licenses.routes;

/** The fault suite against the Java DSL routes. */
class JavaRoutesFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "java";
    }
}
