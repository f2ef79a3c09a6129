package io.icws.licenses.routes;

/** The acceptance suite against the YAML DSL routes in {@code routes/}. */
class YamlRoutesAcceptanceTest extends LicenseRoutesAcceptanceTest {

    @Override
    String dsl() {
        return "yaml";
    }
}
