package io.icws.licenses.support;

/**
 * Strings from outside (the ICWS server, a broker, an SMTP server) shown to a person: in a log line, a mail
 * header or body, a health check. Control characters, Unicode line separators and invisible direction
 * changes are removed, so a value cannot start a line of its own, forge a header or hide text; the result is
 * bounded, ending with {@code …} when cut (a surrogate pair is never split).
 */
public final class SafeText {

    private static final String ELLIPSIS = "\u2026";

    private SafeText() {
    }

    /** One line: every control character removed (CR and LF too). */
    public static String line(String s, int max) {
        return cap(strip(s), max);
    }

    /** Removes control and invisible direction-changing characters. */
    private static String strip(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean drop = Character.isISOControl(c) || isInvisibleHazard(c);
            if (drop && b == null) {
                b = new StringBuilder(s.length()).append(s, 0, i);
            } else if (!drop && b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }

    private static boolean isInvisibleHazard(char c) {
        return c == '\u2028' || c == '\u2029' // line / paragraph separator
                || (c >= '\u202A' && c <= '\u202E') // bidi embeddings and overrides
                || (c >= '\u2066' && c <= '\u2069') // bidi isolates
                || c == '\u200E' || c == '\u200F' || c == '\uFEFF';
    }

    /** Cuts to at most max chars, ending with an ellipsis when cut, never splitting a surrogate pair. */
    public static String cap(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int cut = max - ELLIPSIS.length();
        if (cut > 0 && Character.isHighSurrogate(s.charAt(cut - 1))) {
            cut--;
        }
        return s.substring(0, Math.max(cut, 0)) + ELLIPSIS;
    }

    /**
     * A URL to show in a log line without what may be a secret in it: no user info, no query (an Artemis URL
     * can carry {@code ?user=…&password=…}), e.g. {@code tcp://broker:61616?…}.
     */
    public static String url(String url) {
        if (url == null) {
            return "";
        }
        String shown = url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@?#]*@", "$1");
        int query = shown.indexOf('?');
        return line(query < 0 ? shown : shown.substring(0, query) + "?…", 300);
    }
}
