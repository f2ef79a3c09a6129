package io.icws.licenses.icws;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * The HTTP client of ICWS calls handles no cookies at all: {@link IcwsConnection} sends the session cookie
 * itself. So a cookie of a session that ended can never ride along with the next one, and the client's
 * cookie handling — which logs every cookie it accepts at DEBUG — never sees the session cookie.
 */
public final class IcwsHttpClientConfigurer implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.disableCookieManagement();
    }
}
