package io.icws.licenses.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A throw-away self-signed server certificate (RSA 2048, ~1 year, {@code CN=localhost}) and the
 * {@link SSLContext} serving it. The key pair and certificate come from the JDK's own {@code keytool}, run as a
 * subprocess into a temporary PKCS12 file that is deleted once loaded: no extra library and no
 * {@code sun.security} classes.
 */
final class SelfSignedTls {

    static final String ALIAS = "icws-simulator";
    static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    final SSLContext sslContext;
    final X509Certificate certificate;

    private SelfSignedTls(SSLContext sslContext, X509Certificate certificate) {
        this.sslContext = sslContext;
        this.certificate = certificate;
    }

    /**
     * Makes a key pair and certificate whose SubjectAlternativeName holds {@code DNS:localhost},
     * {@code IP:127.0.0.1} and {@code host} (as IP or DNS name) unless it is one of those or a wildcard address.
     *
     * @throws IllegalStateException if keytool is missing, fails or takes longer than 30 s
     */
    static SelfSignedTls generate(String host) {
        Path keytool = Path.of(System.getProperty("java.home"), "bin",
                System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")
                        ? "keytool.exe" : "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new IllegalStateException("cannot make the TLS certificate: no keytool at " + keytool);
        }
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("icws-sim-tls");
            Path store = dir.resolve("server.p12");
            Path log = dir.resolve("keytool.log");
            List<String> cmd = List.of(keytool.toString(), "-genkeypair",
                    "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "365",
                    "-dname", "CN=localhost", "-ext", "SAN=" + String.join(",", subjectAltNames(host)),
                    "-storetype", "PKCS12", "-keystore", store.toString(),
                    // passwords through the environment, not the (world-readable) command line
                    "-storepass:env", "ICWS_SIM_STOREPASS", "-keypass:env", "ICWS_SIM_STOREPASS",
                    "-noprompt");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("ICWS_SIM_STOREPASS", password);
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(KEYTOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("cannot make the TLS certificate: keytool took longer than "
                        + KEYTOOL_TIMEOUT.toSeconds() + " s");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(store)) {
                String output = Files.readString(log, StandardCharsets.UTF_8).strip();
                throw new IllegalStateException("cannot make the TLS certificate: keytool exited with "
                        + p.exitValue() + (output.isEmpty() ? "" : ": " + output.lines().findFirst().orElse("")));
            }
            char[] pw = password.toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, pw);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return new SelfSignedTls(ctx, (X509Certificate) ks.getCertificate(ALIAS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the TLS certificate: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the TLS certificate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making the TLS certificate", e);
        } finally {
            deleteQuietly(dir);
        }
    }

    /** keytool {@code -ext SAN=} items: {@code dns:localhost}, {@code ip:127.0.0.1} and the bound host. */
    static List<String> subjectAltNames(String host) {
        Set<String> names = new LinkedHashSet<>(List.of("dns:localhost", "ip:127.0.0.1"));
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        boolean ipv6 = h.contains(":");
        boolean wildcard = h.equals("0.0.0.0") || (ipv6 && h.replace(":", "").replace("0", "").isEmpty());
        if (!h.isEmpty() && !wildcard) {
            names.add(IPV4.matcher(h).matches() || ipv6 ? "ip:" + h : "dns:" + h.toLowerCase(Locale.ROOT));
        }
        return new ArrayList<>(names);
    }

    /** Writes a PKCS12 trust store holding only {@code certificate}, as a trusted entry {@value #ALIAS}. */
    static void writeTrustStore(X509Certificate certificate, Path file, char[] password) {
        try {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry(ALIAS, certificate);
            try (OutputStream out = Files.newOutputStream(file)) {
                ts.store(out, password);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trust store " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the trust store " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    f.toFile().deleteOnExit();
                }
            });
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }
}
