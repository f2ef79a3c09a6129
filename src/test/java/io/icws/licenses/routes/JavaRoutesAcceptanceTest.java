package io.icws.licenses.routes;

/** The acceptance suite against the Java DSL routes in {@code io.icws.licenses.routes}. */
class JavaRoutesAcceptanceTest extends LicenseRoutesAcceptanceTest {

    @Override
    String dsl() {
        return "java";
    }
}
