package io.icws.licenses.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes and answers every request of an {@link IcwsSimulator}. */
final class SimulatorHandler implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatorHandler.class);

    static final String ICWS_JSON = "application/vnd.inin.icws+JSON; charset=utf-8";
    static final String ADMIN_JSON = "application/json; charset=utf-8";
    static final int MAX_BODY = 1 << 20;
    static final String WWW_AUTHENTICATE = "ICWS realm=\"ICWS\" location=\"/ICWS/connection\"";
    static final String CSRF_HEADER = "ININ-ICWS-CSRF-Token";
    static final String SESSION_HEADER = "ININ-ICWS-Session-ID";
    static final String CONNECTION_REQUEST_TYPE = "urn:inin.com:connection:icAuthConnectionRequestSettings";
    static final String CONNECTION_RESPONSE_TYPE = "urn:inin.com:connection:connectionResponse";

    private final IcwsSimulator sim;

    SimulatorHandler(IcwsSimulator sim) {
        this.sim = sim;
    }

    @Override
    public void handle(HttpExchange ex) {
        Call c = new Call(ex);
        try {
            if (c.path.equals("/icws") || c.path.startsWith("/icws/")) {
                icws(c);
            } else if (c.path.startsWith("/simulator/")) {
                admin(c);
            } else {
                throw notFound(c);
            }
        } catch (HttpError e) {
            c.error(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("I/O error answering {} {}: {}", c.method, c.path, e.toString());
        } catch (RuntimeException | Error e) {
            LOG.error("Unexpected error answering {} {}", c.method, c.path, e);
            if (!c.sent) {
                c.error(new HttpError(500, "error.server.internal", "Unexpected simulator error: " + e));
            }
        } finally {
            ex.close();
        }
    }

    // ================================================================ ICWS

    private void icws(Call c) throws IOException, InterruptedException {
        if (!sim.holdWhileHung(c.path, isStreamRequest(c))) {
            LOG.debug("{} {} dropped unanswered: the server went away while it hung", c.method, c.path);
            return;
        }
        IcwsSimulator.ActiveFault fault = sim.takeFault(c.path);
        if (fault != null) {
            if (fault.fault().delayMillis() > 0) {
                Thread.sleep(fault.fault().delayMillis());
            }
            if (fault.fault().status() != 0) {
                answerFault(c, fault);
                return;
            }
        }
        String rest = c.path.substring("/icws".length());
        switch (rest) {
            case "/connection" -> {
                allow(c, "POST");
                login(c);
                return;
            }
            case "/connection/features" -> {
                allow(c, "GET");
                ObjectNode body = sim.mapper.createObjectNode();
                body.set("featureInfoList", features());
                c.send(200, body.toString());
                return;
            }
            case "/connection/version" -> {
                allow(c, "GET");
                c.send(200, version().toString());
                return;
            }
            default -> {
                // session paths below
            }
        }
        int slash = rest.indexOf('/', 1);
        if (rest.isEmpty() || slash < 0) {
            throw notFound(c);
        }
        String sessionId = rest.substring(1, slash);
        String resource = rest.substring(slash + 1);
        switch (resource) {
            case "connection" -> {
                allow(c, "DELETE");
                Session s = authenticate(c, sessionId, true);
                sim.endSession(s, null, "logged out");
                c.send(204, null);
            }
            case "messaging/subscriptions/licenses" -> {
                allow(c, "PUT", "DELETE");
                Session s = authenticate(c, sessionId, true);
                if (c.method.equals("PUT")) {
                    subscribeLicenses(c, s);
                } else {
                    sim.unsubscribeLicenses(s);
                    c.send(204, null);
                }
            }
            case "messaging/messages" -> {
                allow(c, "GET");
                Session s = authenticate(c, sessionId, false);
                if (isStreamRequest(c)) {
                    stream(c, s);
                } else {
                    c.send(200, "[" + String.join(",", s.drain()) + "]");
                }
            }
            case "messaging/heartbeat" -> {
                allow(c, "POST");
                authenticate(c, sessionId, true);
                c.send(204, null);
            }
            default -> throw notFound(c);
        }
    }

    private static boolean isStreamRequest(Call c) {
        String accept = c.ex.getRequestHeaders().getFirst("Accept");
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("text/event-stream");
    }

    private void answerFault(Call c, IcwsSimulator.ActiveFault f) throws IOException {
        int status = f.fault().status();
        String errorId = f.errorId() != null ? f.errorId() : defaultErrorId(status);
        HttpError e = new HttpError(status, errorId, "Simulated fault: HTTP " + status + ".");
        if (status == 503) {
            ArrayNode hosts = e.extra.putArray("alternateHostList");
            f.fault().alternateHostList().forEach(hosts::add);
        }
        if (status == 401) {
            e.headers.put("WWW-Authenticate", WWW_AUTHENTICATE);
        }
        LOG.info("Fault injected: {} {} -> {}", c.method, c.path, status);
        c.error(e);
    }

    private static String defaultErrorId(int status) {
        return switch (status) {
            case 400 -> "error.request.invalidRepresentation";
            case 401 -> "error.request.unauthorized";
            case 404 -> "error.request.notFound";
            case 410 -> "error.request.gone";
            case 500 -> "error.server.internal";
            case 503 -> "error.server.unavailable";
            default -> "error.simulator.fault";
        };
    }

    private void login(Call c) throws IOException {
        String language = c.ex.getRequestHeaders().getFirst("Accept-Language");
        if (language == null || language.isBlank()) {
            throw new HttpError(400, "error.request.missingHeader",
                    "The required header Accept-Language is missing.");
        }
        JsonNode body = parseJson(c);
        if (!body.isObject()) {
            throw invalid("The request body must be a JSON object (icAuthConnectionRequestSettings).");
        }
        JsonNode type = body.get("__type");
        if (type == null || !type.isTextual()) {
            throw invalid("The field __type is missing or not a string; expected \"" + CONNECTION_REQUEST_TYPE + "\".");
        }
        if (!CONNECTION_REQUEST_TYPE.equals(type.asText())) {
            throw invalid("The field __type \"" + type.asText() + "\" is not supported; expected \""
                    + CONNECTION_REQUEST_TYPE + "\".");
        }
        for (String field : List.of("applicationName", "userID", "password")) {
            JsonNode v = body.get(field);
            if (v == null || !v.isTextual()) {
                throw invalid("The field " + field + " is " + (v == null ? "missing" : "not a string") + ".");
            }
        }
        String userId = body.get("userID").asText();
        Session s = sim.login(userId, body.get("password").asText(), language);
        if (s == null) {
            throw new HttpError(400, "error.request.connection.authenticationFailure",
                    "The authentication process failed.");
        }
        Set<String> include = new LinkedHashSet<>();
        for (String item : c.query().getOrDefault("include", "").split(",")) {
            if (!item.isBlank()) {
                include.add(item.trim());
            }
        }
        ObjectNode r = sim.mapper.createObjectNode();
        r.put("__type", CONNECTION_RESPONSE_TYPE);
        r.put("csrfToken", s.csrfToken);
        r.put("sessionId", s.id);
        r.putArray("alternateHostList");
        r.put("userID", userId);
        r.put("userDisplayName", userId);
        r.put("icServer", "icws-simulator");
        if (include.contains("features")) {
            r.set("features", features());
        }
        if (include.contains("version")) {
            r.set("version", version());
        }
        Headers h = c.ex.getResponseHeaders();
        h.set(CSRF_HEADER, s.csrfToken);
        h.set(SESSION_HEADER, s.id);
        h.set("Location", "/icws/" + s.id + "/connection");
        h.set("Set-Cookie", "icws_" + s.id + "=" + s.cookieValue + "; Path=/icws/" + s.id + "; HttpOnly");
        c.send(201, r.toString());
    }

    private ArrayNode features() {
        ArrayNode list = sim.mapper.createArrayNode();
        list.addObject().put("featureId", "messaging").put("version", sim.messagingVersion());
        list.addObject().put("featureId", "licenses").put("version", 1);
        return list;
    }

    private ObjectNode version() {
        ObjectNode v = sim.mapper.createObjectNode();
        v.put("majorVersion", 2019);
        v.put("minorVersion", 4);
        v.put("su", 0);
        v.put("codebaseId", "icws-simulator");
        v.put("build", "0");
        v.put("productId", "ICWS Simulator");
        v.put("productReleaseDisplayString", "2019 R4 (simulated)");
        v.put("productPatchDisplayString", "");
        return v;
    }

    private Session authenticate(Call c, String sessionId, boolean csrfRequired) {
        Session s = sim.liveSession(sessionId);
        if (s == null) {
            throw unauthorized("The session is missing, invalid, or has expired.");
        }
        String cookie = cookies(c.ex.getRequestHeaders()).get("icws_" + sessionId);
        if (cookie == null) {
            throw unauthorized("The session cookie icws_" + sessionId + " is missing.");
        }
        if (!same(cookie, s.cookieValue)) {
            throw unauthorized("The session cookie does not match the session.");
        }
        String csrf = c.ex.getRequestHeaders().getFirst(CSRF_HEADER);
        if (csrf == null) {
            if (csrfRequired) {
                throw unauthorized("The header " + CSRF_HEADER + " is missing.");
            }
        } else if (!same(csrf, s.csrfToken)) {
            throw unauthorized("The header " + CSRF_HEADER + " does not match the session.");
        }
        s.touch();
        return s;
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(IcwsSimulator.bytes(a), IcwsSimulator.bytes(b));
    }

    /** Parses every Cookie header: {@code name=value} pairs separated by {@code ;}. First one wins. */
    static Map<String, String> cookies(Headers headers) {
        Map<String, String> cookies = new HashMap<>();
        List<String> values = headers.get("Cookie");
        if (values == null) {
            return cookies;
        }
        for (String header : values) {
            for (String part : header.split(";")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                String name = part.substring(0, eq).trim();
                String value = part.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                cookies.putIfAbsent(name, value);
            }
        }
        return cookies;
    }

    private void subscribeLicenses(Call c, Session s) throws IOException {
        JsonNode body = parseJson(c);
        if (!body.isObject()) {
            throw invalid("The request body must be a JSON object with a licenseList.");
        }
        JsonNode list = body.get("licenseList");
        if (list == null || list.isNull()) {
            throw invalid("The required field licenseList is missing.");
        }
        if (!list.isArray()) {
            throw invalid("The field licenseList must be an array of license names.");
        }
        if (list.isEmpty()) {
            throw invalid("The field licenseList must contain at least one license.");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isTextual()) {
                throw invalid("licenseList[" + i + "] must be a string, got " + list.get(i).getNodeType() + ".");
            }
            names.add(list.get(i).asText());
        }
        sim.subscribeLicenses(s, names);
        c.send(200, null);
    }

    /**
     * Serves an event stream under the rule "the newest reader gets the messages" (see {@link Session}): opening it
     * supersedes the session's older streams; it ends when superseded itself, when the session ends or the
     * simulator closes, or when a write fails (the client left).
     */
    private void stream(Call c, Session s) throws IOException, InterruptedException {
        if (sim.messagingVersion() < 2) {
            throw new HttpError(406, "error.request.notAcceptable", "Server-sent events need the messaging feature "
                    + "at version 2 or more; this server has version " + sim.messagingVersion()
                    + ". Poll GET messaging/messages without Accept: text/event-stream.");
        }
        if (!sim.eventStreams()) {
            throw new HttpError(404, "error.request.notFound", "Event streams are not available on " + c.path
                    + "; poll it without Accept: text/event-stream.");
        }
        Session.Reader reader = s.openStream();
        sim.streamOpened();
        try {
            Headers h = c.ex.getResponseHeaders();
            h.set("Content-Type", "text/event-stream");
            h.set("Cache-Control", "no-cache");
            c.sendHeaders(200, 0);
            OutputStream out = c.ex.getResponseBody();
            long keepAlive = sim.keepAliveInterval().toMillis();
            while (!sim.isClosed()) {
                Object next = s.next(reader, keepAlive);
                if (next == Session.END) {
                    break;
                }
                if (!sim.holdWhileHung(c.path, true)) {
                    break; // hung, then gone: the connection is cut
                }
                if (next == Session.SUPERSEDED) {
                    // A last comment, also a probe: if the client already left, this write fails and the message
                    // still in doubt (the last one written) goes back to the queue for the newer reader.
                    try {
                        write(out, ": " + reader.farewell() + "\n\n");
                        s.wrote(reader, false);
                    } catch (IOException e) {
                        s.writeFailed(reader);
                    }
                    LOG.debug("Event stream of session {} superseded", s.id);
                    break;
                }
                try {
                    if (next instanceof String json) {
                        write(out, "data: " + json + "\n\n");
                        s.wrote(reader, true);
                    } else if (next instanceof Session.Frame frame) {
                        try {
                            write(out, frame.bytes);
                            s.wrote(reader, false);
                            frame.done.complete(true);
                        } finally {
                            frame.done.complete(false); // no effect once completed
                        }
                    } else {
                        write(out, ": keep-alive\n\n");
                        s.wrote(reader, false);
                        sim.keepAliveWritten();
                    }
                } catch (IOException e) {
                    s.writeFailed(reader);
                    throw e;
                }
                s.touch();
            }
            LOG.debug("Event stream of session {} ends", s.id);
        } finally {
            s.streamClosed(reader);
            sim.streamClosed();
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        write(out, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void write(OutputStream out, byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    // ================================================================ admin

    private void admin(Call c) throws IOException {
        List<String> seg = new ArrayList<>(Arrays.asList(c.path.substring("/simulator/".length()).split("/")));
        seg.removeIf(String::isEmpty);
        String first = seg.isEmpty() ? "" : seg.get(0);
        if (first.equals("users") && seg.size() == 4 && seg.get(2).equals("licenses")) {
            allow(c, "PUT");
            adminSetLicense(c, seg.get(1), seg.get(3));
        } else if (first.equals("users") && seg.size() == 3 && seg.get(2).equals("messages")) {
            allow(c, "POST");
            adminQueueMessage(c, seg.get(1));
        } else if (first.equals("users") && seg.size() == 3 && seg.get(2).equals("event-stream-frames")) {
            allow(c, "POST");
            adminWriteFrame(c, seg.get(1));
        } else if (first.equals("users") && seg.size() == 3 && seg.get(2).equals("oversized-event")) {
            allow(c, "POST");
            adminOversizedEvent(c, seg.get(1));
        } else if (first.equals("users") && seg.size() == 3 && seg.get(2).equals("two-value-event")) {
            allow(c, "POST");
            adminTwoValueEvent(c, seg.get(1));
        } else if (seg.equals(List.of("sessions", "logoff"))) {
            allow(c, "POST");
            JsonNode b = optionalBody(c);
            String user = optionalText(b, "user");
            if (user != null && !sim.userExists(user)) {
                throw unknownUser(user);
            }
            int n = sim.logOffByAdministrator(user, optionalText(b, "reason"));
            c.send(200, sim.mapper.createObjectNode().put("loggedOff", n).toString());
        } else if (seg.equals(List.of("license-message-shape"))) {
            allow(c, "GET", "PUT");
            if (c.method.equals("PUT")) {
                String shape = optionalText(parseJson(c), "shape");
                if (!"flat".equals(shape) && !"list".equals(shape)) {
                    throw invalid("The body must be {\"shape\": \"flat\"|\"list\"}.");
                }
                sim.setFlatLicenseMessages(shape.equals("flat"));
            }
            c.send(200, sim.mapper.createObjectNode().put("shape", sim.flatLicenseMessages() ? "flat" : "list").toString());
        } else if (seg.equals(List.of("gone"))) {
            allow(c, "POST");
            JsonNode b = optionalBody(c);
            int back = optionalInt(b, "backAfterMillis", -1);
            if (b.has("backAfterMillis") && !b.get("backAfterMillis").isNull() && back < 0) {
                throw invalid("The field backAfterMillis must not be negative.");
            }
            ObjectNode r = sim.mapper.createObjectNode().put("gone", true);
            if (back >= 0) {
                r.put("backAfterMillis", back);
            }
            c.send(202, r.toString());
            sim.goAway(back < 0 ? null : java.time.Duration.ofMillis(back));
        } else if (seg.equals(List.of("hang"))) {
            allow(c, "POST", "DELETE");
            if (c.method.equals("POST")) {
                JsonNode b = optionalBody(c);
                JsonNode streams = b.get("eventStreamsOnly");
                if (streams != null && !streams.isNull() && !streams.isBoolean()) {
                    throw invalid("The field eventStreamsOnly must be a boolean.");
                }
                sim.hang(optionalText(b, "path"), streams != null && streams.asBoolean());
                c.send(204, null);
            } else {
                c.send(200, sim.mapper.createObjectNode().put("released", sim.releaseHang()).toString());
            }
        } else if (seg.equals(List.of("sessions", "expire"))) {
            allow(c, "POST");
            int n = sim.expireSessions();
            c.send(200, sim.mapper.createObjectNode().put("expired", n).toString());
        } else if (seg.equals(List.of("faults"))) {
            allow(c, "POST", "DELETE");
            if (c.method.equals("POST")) {
                adminAddFault(c);
            } else {
                sim.clearFaults();
                c.send(204, null);
            }
        } else if (seg.equals(List.of("requests"))) {
            allow(c, "GET", "DELETE");
            if (c.method.equals("GET")) {
                ArrayNode list = sim.mapper.createArrayNode();
                for (RecordedRequest r : sim.requests()) {
                    list.addObject().put("method", r.method()).put("path", r.path())
                            .put("status", r.status()).put("time", r.time().toString());
                }
                c.send(200, list.toString());
            } else {
                sim.clearRequests();
                c.send(204, null);
            }
        } else {
            throw notFound(c);
        }
    }

    private void adminSetLicense(Call c, String user, String license) throws IOException {
        if (!sim.userExists(user)) {
            throw unknownUser(user);
        }
        JsonNode body = parseJson(c);
        JsonNode assigned = body.get("assigned");
        if (!body.isObject() || assigned == null || !assigned.isBoolean()) {
            throw invalid("The body must be {\"assigned\": true|false}.");
        }
        boolean changed;
        try {
            changed = sim.setLicenseAssigned(user, license, assigned.booleanValue());
        } catch (NoSuchElementException e) {
            throw unknownUser(user);
        }
        ObjectNode r = sim.mapper.createObjectNode();
        r.put("user", user).put("license", license).put("assigned", assigned.booleanValue()).put("changed", changed);
        c.send(200, r.toString());
    }

    private void adminQueueMessage(Call c, String user) throws IOException {
        if (!sim.userExists(user)) {
            throw unknownUser(user);
        }
        byte[] raw = readBody(c);
        parseJson(raw); // 400 unless JSON
        int n;
        try {
            n = sim.queueMessage(user, new String(raw, StandardCharsets.UTF_8));
        } catch (NoSuchElementException e) {
            throw unknownUser(user);
        }
        c.send(200, sim.mapper.createObjectNode().put("queued", n).toString());
    }

    private void adminWriteFrame(Call c, String user) throws IOException {
        if (!sim.userExists(user)) {
            throw unknownUser(user);
        }
        byte[] raw = readBody(c);
        if (raw.length == 0) {
            throw invalid("The body must be the raw event-stream frame (text/plain), e.g. \"data: {}\\n\\n\".");
        }
        int n;
        try {
            n = sim.writeEventStreamFrame(user, new String(raw, StandardCharsets.UTF_8));
        } catch (NoSuchElementException e) {
            throw unknownUser(user);
        }
        c.send(200, sim.mapper.createObjectNode().put("written", n).toString());
    }

    private void adminOversizedEvent(Call c, String user) throws IOException {
        if (!sim.userExists(user)) {
            throw unknownUser(user);
        }
        JsonNode b = parseJson(c);
        if (!b.isObject() || b.get("bytes") == null) {
            throw invalid("The body must be {\"bytes\": N, \"lineBytes\": L} (lineBytes optional: one line).");
        }
        int bytes = optionalInt(b, "bytes", 0);
        int lineBytes = optionalInt(b, "lineBytes", bytes);
        int n;
        try {
            n = sim.writeOversizedEvent(user, bytes, lineBytes);
        } catch (IllegalArgumentException e) {
            throw invalid("Invalid oversized event: " + e.getMessage());
        }
        c.send(200, sim.mapper.createObjectNode().put("written", n).toString());
    }

    private void adminTwoValueEvent(Call c, String user) throws IOException {
        if (!sim.userExists(user)) {
            throw unknownUser(user);
        }
        JsonNode b = optionalBody(c);
        JsonNode first = b.get("first");
        JsonNode second = b.get("second");
        if ((first == null) != (second == null)) {
            throw invalid("Give both first and second, or neither (two license messages).");
        }
        int n = first == null ? sim.writeTwoValueEvent(user) : sim.writeTwoValueEvent(user, first.toString(), second.toString());
        c.send(200, sim.mapper.createObjectNode().put("written", n).toString());
    }

    /** The body as a JSON object; an empty body is an empty object. */
    private JsonNode optionalBody(Call c) throws IOException {
        byte[] raw = readBody(c);
        if (raw.length == 0) {
            return sim.mapper.createObjectNode();
        }
        JsonNode b = parseJson(raw);
        if (!b.isObject()) {
            throw invalid("The body must be a JSON object.");
        }
        return b;
    }

    private void adminAddFault(Call c) throws IOException {
        JsonNode b = parseJson(c);
        if (!b.isObject()) {
            throw invalid("The body must be a JSON object describing the fault.");
        }
        JsonNode status = b.get("status");
        if (status == null || !status.canConvertToInt() || !status.isIntegralNumber()) {
            throw invalid("The field status is required and must be an integer HTTP status (or 0 for a delay only).");
        }
        int times = optionalInt(b, "times", 1);
        long delay = optionalInt(b, "delayMillis", 0);
        String path = optionalText(b, "path");
        String errorId = optionalText(b, "errorId");
        List<String> hosts = new ArrayList<>();
        JsonNode h = b.get("alternateHostList");
        if (h != null && !h.isNull()) {
            if (!h.isArray()) {
                throw invalid("The field alternateHostList must be an array of host names.");
            }
            for (JsonNode n : h) {
                if (!n.isTextual()) {
                    throw invalid("The field alternateHostList must contain strings only.");
                }
                hosts.add(n.asText());
            }
        }
        try {
            sim.addFault(new Fault(status.intValue(), times, path, hosts, delay), errorId);
        } catch (IllegalArgumentException e) {
            throw invalid("Invalid fault: " + e.getMessage());
        }
        c.send(204, null);
    }

    private static int optionalInt(JsonNode b, String field, int dflt) {
        JsonNode v = b.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw invalid("The field " + field + " must be an integer.");
        }
        return v.intValue();
    }

    private static String optionalText(JsonNode b, String field) {
        JsonNode v = b.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw invalid("The field " + field + " must be a string.");
        }
        return v.asText();
    }

    // ================================================================ common

    private JsonNode parseJson(Call c) throws IOException {
        return parseJson(readBody(c));
    }

    private JsonNode parseJson(byte[] body) {
        if (body.length == 0) {
            throw new HttpError(400, "error.request.invalidJson", "The request body is empty; JSON was expected.");
        }
        try {
            return sim.mapper.readTree(body);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            String detail = e.getOriginalMessage();
            throw new HttpError(400, "error.request.invalidJson", "The request body is not valid JSON: "
                    + (detail == null ? e.getClass().getSimpleName() : detail.lines().findFirst().orElse("")));
        } catch (IOException e) {
            throw new HttpError(400, "error.request.invalidJson", "The request body is not valid JSON: " + e);
        }
    }

    private static byte[] readBody(Call c) throws IOException {
        // Read at most MAX_BODY + 1 bytes, even when Content-Length announces more: answering before the client
        // has sent its body makes most clients see a reset instead of the 413.
        byte[] body = c.ex.getRequestBody().readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
            throw tooLarge();
        }
        return body;
    }

    private static HttpError tooLarge() {
        HttpError e = new HttpError(413, "error.request.entityTooLarge",
                "The request body is larger than " + MAX_BODY + " bytes.");
        e.headers.put("Connection", "close");
        return e;
    }

    private static void allow(Call c, String... methods) {
        for (String m : methods) {
            if (m.equals(c.method)) {
                return;
            }
        }
        HttpError e = new HttpError(405, "error.request.methodNotAllowed",
                "The method " + c.method + " is not allowed on " + c.path + "; allowed: " + String.join(", ", methods) + ".");
        e.headers.put("Allow", String.join(", ", methods));
        throw e;
    }

    private static HttpError notFound(Call c) {
        return new HttpError(404, "error.request.notFound", "There is no resource at " + c.path + ".");
    }

    private static HttpError unknownUser(String user) {
        return new HttpError(404, "error.simulator.unknownUser", "There is no user " + user + ".");
    }

    private static HttpError invalid(String message) {
        return new HttpError(400, "error.request.invalidRepresentation", message);
    }

    private static HttpError unauthorized(String message) {
        HttpError e = new HttpError(401, "error.request.unauthorized", message);
        e.headers.put("WWW-Authenticate", WWW_AUTHENTICATE);
        return e;
    }

    /** An error answer: status, error body (plus extra fields) and headers. */
    static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String errorId;
        final Map<String, String> headers = new LinkedHashMap<>();
        final ObjectNode extra = new com.fasterxml.jackson.databind.node.ObjectNode(
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance);

        HttpError(int status, String errorId, String message) {
            super(message, null, false, false);
            this.status = status;
            this.errorId = errorId;
        }
    }

    /** One exchange: answers it once and records ICWS answers in the request log. */
    private final class Call {
        final HttpExchange ex;
        final String method;
        final String path;
        final boolean icws;
        final IcwsSimulator.ReceivedRequest received; // null for admin requests
        boolean sent;

        Call(HttpExchange ex) {
            this.ex = ex;
            this.method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
            String p = ex.getRequestURI().getPath();
            this.path = p == null || p.isEmpty() ? "/" : p;
            this.icws = path.equals("/icws") || path.startsWith("/icws/");
            this.received = icws ? sim.received(method, path) : null;
        }

        Map<String, String> query() {
            Map<String, String> q = new HashMap<>();
            String raw = ex.getRequestURI().getRawQuery();
            if (raw == null) {
                return q;
            }
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String k = eq < 0 ? pair : pair.substring(0, eq);
                String v = eq < 0 ? "" : pair.substring(eq + 1);
                q.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            }
            return q;
        }

        void sendHeaders(int status, long length) throws IOException {
            if (sent) {
                throw new IllegalStateException("already answered");
            }
            sent = true;
            if (icws) {
                sim.record(method, path, status);
                received.answered(status);
            }
            ex.sendResponseHeaders(status, length);
        }

        void send(int status, String body) throws IOException {
            if (body == null) {
                sendHeaders(status, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", icws ? ICWS_JSON : ADMIN_JSON);
            sendHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }

        void error(HttpError e) {
            if (sent) {
                LOG.debug("Cannot answer {} to {} {}: already answered", e.status, method, path);
                return;
            }
            ObjectNode body = sim.mapper.createObjectNode();
            if (e.errorId != null) {
                body.put("errorId", e.errorId);
            }
            body.put("message", e.getMessage());
            body.setAll(e.extra);
            e.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            try {
                send(e.status, body.toString());
            } catch (IOException io) {
                LOG.debug("Cannot answer {} to {} {}: {}", e.status, method, path, io.toString());
            }
        }
    }
}
