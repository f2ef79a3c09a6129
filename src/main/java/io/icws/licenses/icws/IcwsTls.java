package io.icws.licenses.icws;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.InvalidSettingException;
import org.apache.hc.client5.http.ssl.DefaultHostnameVerifier;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;

/**
 * TLS of a connection's ICWS calls, the same for the JDK client (session, stream) and camel-http (polling).
 * CIC servers often present certificates of a private CA, so a trust store can be named
 * ({@code icws.tls.trust-store}); without one the JVM's default trust applies. Host names are always checked,
 * unless {@code icws.tls.insecure=true}, which trusts anything (the caller warns at every start).
 */
public final class IcwsTls {

    private IcwsTls() {
    }

    /** The SSL context for the settings. */
    public static SSLContext sslContext(ConnectionSettings.Tls tls, String trustStoreKey) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            TrustManager[] trust = null;
            if (tls.insecure()) {
                trust = new TrustManager[] {new TrustEverything()};
            } else if (tls.trustStore() != null) {
                KeyStore store = KeyStore.getInstance(tls.type());
                try (InputStream in = Files.newInputStream(tls.trustStore())) {
                    store.load(in, tls.password() == null ? null : tls.password().toCharArray());
                }
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                trust = factory.getTrustManagers();
            }
            context.init(null, trust, null);
            return context;
        } catch (java.io.IOException | GeneralSecurityException e) {
            throw new InvalidSettingException(trustStoreKey, "cannot load the trust store " + tls.trustStore()
                    + " as " + tls.type() + " (" + e.getMessage() + "; is icws.tls.trust-store-type or the "
                    + "trust store password right?)");
        }
    }

    /** The host name check of camel-http's client: on, unless insecure. */
    public static HostnameVerifier hostnameVerifier(ConnectionSettings.Tls tls) {
        return tls.insecure() ? NoopHostnameVerifier.INSTANCE : new DefaultHostnameVerifier();
    }

    /**
     * For {@code icws.tls.insecure=true} only. An {@link X509ExtendedTrustManager}, so that the JDK does not
     * add its own host name check around it.
     */
    private static final class TrustEverything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
