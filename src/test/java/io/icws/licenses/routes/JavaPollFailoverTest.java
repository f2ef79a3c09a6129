package io.icws.licenses.routes;

/** The failover suite against the java routes, receiving by poll. */
class JavaPollFailoverTest extends FailoverRoutesTest {

    @Override
    String dsl() {
        return "java";
    }

    @Override
    String receive() {
        return "poll";
    }
}
