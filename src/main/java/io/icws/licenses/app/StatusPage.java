package io.icws.licenses.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.observe.IcwsObserver;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The jar's status page, on the health port: {@code /status} (HTML, read-only), {@code /status.json} (what it
 * shows), {@code /status.js} and {@code /status.css} (from the jar; the page loads nothing else), and {@code /}
 * redirecting to it. The connections (up, standing by, down and why), a table of watched users × licenses, the
 * last changes, each target's queue and last error. Every string is HTML-escaped here and set as text by the
 * script; a Content-Security-Policy allows scripts, styles and requests from this server only.
 */
final class StatusPage {

    static final String PATH = "/status";
    static final String JSON_PATH = "/status.json";
    /** How often the page reads {@link #JSON_PATH} again (the script's own interval). */
    static final int REFRESH_MILLIS = 2000;

    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final IcwsObserver observer;
    private final ObjectMapper mapper = new ObjectMapper();
    private final byte[] script;
    private final byte[] style;

    StatusPage(IcwsObserver observer) {
        this.observer = observer;
        this.script = resource("icws/status/status.js");
        this.style = resource("icws/status/status.css");
    }

    /** Adds the page's paths to the router of the health port. */
    void install(Router router) {
        router.routeWithRegex(HttpMethod.GET, "^/$").handler(ctx -> ctx.redirect(PATH));
        router.route(HttpMethod.GET, PATH).handler(ctx -> send(ctx, "text/html; charset=utf-8",
                html(observer.view()).getBytes(StandardCharsets.UTF_8)));
        router.route(HttpMethod.GET, JSON_PATH).handler(ctx -> {
            byte[] json;
            try {
                json = mapper.writeValueAsBytes(observer.view());
            } catch (IOException e) {
                ctx.response().setStatusCode(500).end("status not available");
                return;
            }
            ctx.response().putHeader("Cache-Control", "no-store");
            send(ctx, "application/json", json);
        });
        router.route(HttpMethod.GET, "/status.js").handler(ctx -> send(ctx, "text/javascript; charset=utf-8", script));
        router.route(HttpMethod.GET, "/status.css").handler(ctx -> send(ctx, "text/css; charset=utf-8", style));
    }

    private static void send(RoutingContext ctx, String type, byte[] body) {
        ctx.response().putHeader("Content-Type", type)
                .putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .end(io.vertx.core.buffer.Buffer.buffer(body));
    }

    /** The whole page, rendered here (it reads well without the script too); the script only refreshes it. */
    static String html(Map<String, Object> view) {
        StringBuilder b = new StringBuilder(8192);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>ICWS license routes</title><link rel=\"stylesheet\" href=\"status.css\">")
                .append("<script src=\"status.js\" defer></script></head>\n<body data-refresh=\"")
                .append(REFRESH_MILLIS).append("\">\n<h1>ICWS license routes</h1>\n")
                .append("<p class=\"meta\">as of <span id=\"as-of\">").append(esc(view.get("time")))
                .append("</span> · refreshes every ").append(REFRESH_MILLIS / 1000).append(" s · ")
                .append("<a href=\"status.json\">JSON</a> · <a href=\"observe/metrics\">metrics</a> · ")
                .append("<a href=\"observe/health?data=true\">health</a></p>\n");

        b.append("<h2>Connections</h2>\n<table id=\"connections\"><thead><tr><th>connection</th><th>state</th>")
                .append("<th>why</th><th>user</th><th>server</th><th>mode</th><th>last message</th></tr></thead><tbody>");
        for (Map<String, Object> c : list(view.get("connections"))) {
            b.append("<tr class=\"").append(cssState(c.get("state"))).append("\"><td>").append(esc(c.get("id")))
                    .append("</td><td>").append(esc(c.get("state"))).append("</td><td>").append(esc(c.get("why")))
                    .append("</td><td>").append(esc(c.get("user"))).append("</td><td>").append(esc(c.get("server")))
                    .append("</td><td>").append(esc(c.get("mode"))).append("</td><td>")
                    .append(esc(c.get("lastMessage"))).append("</td></tr>");
        }
        b.append("</tbody></table>\n");

        List<String> licenses = strings(view.get("licenses"));
        b.append("<h2>Licenses</h2>\n<table id=\"licenses\"><thead><tr><th>user (connection)</th>");
        for (String license : licenses) {
            b.append("<th>").append(esc(license)).append("</th>");
        }
        b.append("</tr></thead><tbody>");
        for (Map<String, Object> c : list(view.get("connections"))) {
            if (!(c.get("licenses") instanceof Map<?, ?> states)) {
                continue;
            }
            b.append("<tr><td>").append(esc(c.get("user"))).append(" (").append(esc(c.get("id"))).append(")</td>");
            for (String license : licenses) {
                Object assigned = states.get(license);
                String state = !states.containsKey(license) ? "" : assigned == null ? "unknown"
                        : Boolean.TRUE.equals(assigned) ? "assigned" : "not assigned";
                b.append("<td class=\"").append(state.replace(' ', '-')).append("\">").append(esc(state)).append("</td>");
            }
            b.append("</tr>");
        }
        b.append("</tbody></table>\n");

        b.append("<h2>Last changes</h2>\n<table id=\"changes\"><thead><tr><th>time</th><th>change</th>")
                .append("<th>license</th><th>user</th><th>id</th></tr></thead><tbody>");
        for (Map<String, Object> c : list(view.get("changes"))) {
            b.append("<tr><td>").append(esc(c.get("time"))).append("</td><td>").append(esc(c.get("changeType")))
                    .append("</td><td>").append(esc(c.get("license"))).append("</td><td>").append(esc(c.get("user")))
                    .append("</td><td>").append(esc(c.get("id"))).append("</td></tr>");
        }
        b.append("</tbody></table>\n");

        b.append("<h2>Targets</h2>\n<table id=\"targets\"><thead><tr><th>target</th><th>state</th><th>queue</th>")
                .append("<th>delivered</th><th>dead letters</th><th>last error</th></tr></thead><tbody>");
        for (Map<String, Object> t : list(view.get("targets"))) {
            b.append("<tr class=\"").append(cssState(t.get("state"))).append("\"><td>").append(esc(t.get("target")))
                    .append("</td><td>").append(esc(t.get("state"))).append("</td><td>").append(esc(t.get("depth")))
                    .append("</td><td>").append(esc(t.get("delivered"))).append("</td><td>")
                    .append(esc(t.get("deadLettered"))).append("</td><td>").append(esc(t.get("lastError")))
                    .append("</td></tr>");
        }
        b.append("</tbody></table>\n</body></html>\n");
        return b.toString();
    }

    private static String cssState(Object state) {
        String s = String.valueOf(state);
        return switch (s) {
            case "up", "draining" -> "ok";
            case "standing by" -> "standby";
            default -> "bad";
        };
    }

    /** HTML-escapes everything (text and attribute values alike); null is empty. */
    static String esc(Object value) {
        if (value == null) {
            return "";
        }
        String s = String.valueOf(value);
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }

    private static byte[] resource(String name) {
        try (InputStream in = StatusPage.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(name + " cannot be read", e);
        }
    }
}
