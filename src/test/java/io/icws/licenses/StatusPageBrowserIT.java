package io.icws.licenses;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The status page in a real browser (Debian's headless Chromium) against the packaged jar on its simulator: a
 * change made at the simulator after the page loaded (when its own timer first asks status.json, through a proxy of
 * the test) shows up by the page's own refresh, without a reload, and a
 * user name with markup is shown as text. Also writes the screenshot docs/monitoring/status-page.png is made from
 * (target/status-page.png). Skipped when /usr/bin/chromium is not installed ({@code apt-get install chromium}).
 */
class StatusPageBrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** A user name the page must show as text: it would run a script if it were markup. */
    private static final String MARKUP_USER = "<img src=x onerror=alert(1)>";
    private static final String ESCAPED_USER = "&lt;img src=x onerror=alert(1)&gt;";

    @TempDir
    Path tmp;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : started) {
            c.close();
        }
    }

    @Test
    void aChangeAtTheServerShowsWithoutAReloadAndMarkupShowsAsText() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "/usr/bin/chromium is not installed (apt-get install chromium)");
        ObservedJar jar = ObservedJar.start(Files.createDirectories(tmp.resolve("jar")), "-Dicws.user=" + MARKUP_USER);
        started.add(jar);
        // the browser talks to the jar through a proxy of the test, which makes the change at the server when the
        // page first asks status.json by its own timer: only the page's refresh can show it
        Proxy proxy = new Proxy(jar);
        started.add(proxy);
        String page = proxy.base + "/"; // redirects to /status

        // the page as loaded: the license is assigned, the user shown as text
        String first = chromium("--dump-dom", page);
        assertThat(first).contains("<h1>ICWS license routes</h1>");
        assertThat(first).contains(ESCAPED_USER + " (default)");
        assertThat(first).doesNotContain("<img");
        assertThat(licenseRow(first)).as(first).startsWith(ESCAPED_USER + " (default)</td><td class=\"assigned\">assigned</td>");

        proxy.changeOnFirstRefresh(() -> jar.setLicense(MARKUP_USER, "I3_ACCESS_CLIENT", false));
        int pagesBefore = proxy.pages.get();
        String refreshed = chromium("--virtual-time-budget=6000", "--dump-dom", page);
        assertThat(proxy.refreshes.get()).as("status.json requests by the page's own timer").isGreaterThanOrEqualTo(1);
        assertThat(proxy.pages.get() - pagesBefore).as("the page itself, loaded once: no reload").isEqualTo(1);
        assertThat(licenseRow(refreshed)).as(refreshed)
                .startsWith(ESCAPED_USER + " (default)</td><td class=\"not-assigned\">not assigned</td>");
        assertThat(refreshed).contains("<td>unassigned</td><td>I3_ACCESS_CLIENT</td>");
        assertThat(refreshed).doesNotContain("<img");

        Path png = tmp.resolve("status-page.png");
        chromium("--screenshot=" + png, "--window-size=1280,900", page);
        assertThat(png).isRegularFile();
        Files.copy(png, JarProcess.baseDir().resolve("target/status-page.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The first row of the users × licenses table, from its first cell's text on. */
    private static String licenseRow(String dom) {
        int table = dom.indexOf("<table id=\"licenses\">");
        int row = table < 0 ? -1 : dom.indexOf("<tbody><tr><td>", table);
        return row < 0 ? "" : dom.substring(row + "<tbody><tr><td>".length());
    }

    /** Forwards GETs to the jar; counts page loads and status.json refreshes; runs a change before the first refresh. */
    static final class Proxy implements AutoCloseable {

        final java.util.concurrent.atomic.AtomicInteger pages = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger refreshes = new java.util.concurrent.atomic.AtomicInteger();
        final String base;
        private final com.sun.net.httpserver.HttpServer server;
        private volatile Change change;

        interface Change {
            void run() throws Exception;
        }

        Proxy(ObservedJar jar) throws java.io.IOException {
            server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().toString();
                if (path.equals("/status")) {
                    pages.incrementAndGet();
                }
                if (path.startsWith("/status.json")) {
                    refreshes.incrementAndGet();
                    Change c = change;
                    change = null;
                    if (c != null) {
                        try {
                            c.run();
                            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                                    .until(() -> jar.get("/status.json").contains("\"I3_ACCESS_CLIENT\":false"));
                        } catch (Exception e) {
                            throw new java.io.IOException(e);
                        }
                    }
                }
                java.net.http.HttpResponse<String> r = jar.response(path);
                byte[] body = r == null ? new byte[0] : r.body().getBytes(StandardCharsets.UTF_8);
                if (r != null) {
                    r.headers().map().forEach((name, values) -> {
                        if (!name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding")) {
                            exchange.getResponseHeaders().put(name, values);
                        }
                    });
                }
                exchange.sendResponseHeaders(r == null ? 502 : r.statusCode(), body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    exchange.getResponseBody().write(body);
                }
                exchange.close();
            });
            server.start();
            base = "http://127.0.0.1:" + server.getAddress().getPort();
        }

        void changeOnFirstRefresh(Change c) {
            change = c;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private String chromium(String... args) throws Exception {
        Path profile = Files.createTempDirectory(tmp, "chromium-");
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "dom-", ".html");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(tmp.resolve("chromium.log").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s: " + String.join(" ", command));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

}
