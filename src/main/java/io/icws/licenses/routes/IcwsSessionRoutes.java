package io.icws.licenses.routes;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;

/**
 * The ICWS session: log in, subscribe, unsubscribe, log out (mirrors {@code routes/icws-session.yaml}).
 * Each request is three steps: {@code icwsConnection} builds it, camel-http sends it, {@code icwsConnection}
 * reads the answer. Headers are cleared before each request so nothing of an earlier call rides along.
 */
public class IcwsSessionRoutes extends RouteBuilder {

    @Override
    public void configure() {
        // The one HTTP endpoint of every ICWS call: the URL comes in the CamelHttpUri header, the session
        // cookie from icwsConnection (the client handles no cookies), the status is read by icwsConnection.
        from("direct:icws-http").routeId("icws-http").routeConfigurationId("icws-step")
                .to("http://icws?throwExceptionOnFailure=false&httpClientConfigurer=#icwsHttpClientConfigurer"
                        + "&connectTimeout={{icws.http.connect-timeout}}"
                        + "&connectionRequestTimeout={{icws.http.connect-timeout}}"
                        + "&responseTimeout={{icws.http.response-timeout}}&soTimeout={{icws.http.response-timeout}}"
                        + "&sslContextParameters=#icwsSsl&x509HostnameVerifier=#icwsHostnameVerifier");

        // Log in, then subscribe: a new session has no subscriptions.
        from("direct:icws-connect").routeId("icws-connect").routeConfigurationId("icws-step")
                .to("direct:icws-login")
                .to("direct:icws-subscribe");

        from("direct:icws-login").routeId("icws-login").routeConfigurationId("icws-step")
                .removeHeaders("*")
                .bean("icwsConnection", "prepareLogin")
                .to("direct:icws-http")
                .bean("icwsConnection", "onLoginResponse");

        // PUT the subscription; the server answers with an isDelta:false snapshot among the next messages.
        from("direct:icws-subscribe").routeId("icws-subscribe").routeConfigurationId("icws-step")
                .removeHeaders("*")
                .bean("icwsConnection", "prepareSubscribe")
                .to("direct:icws-http")
                .bean("icwsConnection", "onResponse");

        // Shutdown: DELETE the subscription, then DELETE the connection even if the first failed.
        from("direct:icws-disconnect").routeId("icws-disconnect").routeConfigurationId("icws-step")
                .filter(method("icwsConnection", "hasSession"))
                    .doTry()
                        .to("direct:icws-unsubscribe")
                    .doCatch(Exception.class)
                        .log(LoggingLevel.WARN, "Could not delete the license subscription: ${exception.message}")
                    .end()
                    .to("direct:icws-logout")
                .end();

        from("direct:icws-unsubscribe").routeId("icws-unsubscribe").routeConfigurationId("icws-step")
                .removeHeaders("*")
                .bean("icwsConnection", "prepareUnsubscribe")
                .to("direct:icws-http")
                .bean("icwsConnection", "onResponse");

        from("direct:icws-logout").routeId("icws-logout").routeConfigurationId("icws-step")
                .removeHeaders("*")
                .bean("icwsConnection", "prepareLogout")
                .to("direct:icws-http")
                .bean("icwsConnection", "onResponse");
    }
}
