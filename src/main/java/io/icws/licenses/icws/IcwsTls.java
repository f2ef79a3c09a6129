package io.icws.licenses.icws;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.X509TrustManager;

import io.icws.licenses.config.InvalidSettingException;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;
import org.apache.hc.client5.http.ssl.DefaultHostnameVerifier;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS of the ICWS calls, as two beans the HTTP endpoint names: {@code icwsSsl} (whom to trust) and
 * {@code icwsHostnameVerifier}. CIC servers often present certificates of a private CA, so a trust store
 * can be named ({@code icws.tls.trust-store}); without one the JVM's default trust applies. Hostname
 * verification is always on, unless {@code icws.tls.insecure=true}, which trusts anything and says so at
 * every start.
 */
public final class IcwsTls {

    private static final Logger LOG = LoggerFactory.getLogger(IcwsTls.class);

    private IcwsTls() {
    }

    public static void bind(Registry registry, PropertiesComponent properties) {
        boolean insecure = properties.resolveProperty("icws.tls.insecure").map(String::trim)
                .map(Boolean::parseBoolean).orElse(false);
        String trustStore = properties.resolveProperty("icws.tls.trust-store").map(String::trim).orElse("");
        SSLContextParameters ssl = new SSLContextParameters();
        HostnameVerifier verifier = new DefaultHostnameVerifier();
        if (insecure) {
            LOG.warn("icws.tls.insecure=true: ICWS server certificates and host names are NOT checked. Anyone "
                    + "between here and the server can read the password. Use icws.tls.trust-store instead.");
            TrustManagersParameters trustAll = new TrustManagersParameters();
            trustAll.setTrustManager(new TrustEverything());
            ssl.setTrustManagers(trustAll);
            verifier = NoopHostnameVerifier.INSTANCE;
        } else if (!trustStore.isEmpty()) {
            if (!Files.isReadable(Path.of(trustStore))) {
                throw new InvalidSettingException("icws.tls.trust-store", "cannot read the file " + trustStore);
            }
            KeyStoreParameters store = new KeyStoreParameters();
            store.setResource("file:" + trustStore);
            store.setType(properties.resolveProperty("icws.tls.trust-store-type").map(String::trim)
                    .filter(s -> !s.isEmpty()).orElse("PKCS12"));
            properties.resolveProperty("icws.tls.trust-store-password").filter(s -> !s.isEmpty())
                    .ifPresent(store::setPassword);
            TrustManagersParameters trust = new TrustManagersParameters();
            trust.setKeyStore(store);
            ssl.setTrustManagers(trust);
        }
        registry.bind("icwsSsl", ssl);
        registry.bind("icwsHostnameVerifier", verifier);
    }

    /** For {@code icws.tls.insecure=true} only. */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // trusts anything, on purpose and loudly
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
