package io.icws.licenses.icws;

import java.util.Date;
import java.util.List;

import org.apache.hc.client5.http.cookie.Cookie;
import org.apache.hc.client5.http.cookie.CookieStore;

/**
 * The HTTP client's cookie store for ICWS calls: it keeps nothing. {@link IcwsConnection} sends the
 * session cookie itself, so the cookie of a session that ended can never ride along with the next one,
 * and every ICWS call of a session carries the same cookie whichever endpoint sends it.
 */
public final class NoCookieStore implements CookieStore {

    @Override
    public void addCookie(Cookie cookie) {
        // the session cookie is kept by IcwsConnection
    }

    @Override
    public List<Cookie> getCookies() {
        return List.of();
    }

    @Override
    @SuppressWarnings("deprecation")
    public boolean clearExpired(Date date) {
        return false;
    }

    @Override
    public void clear() {
        // nothing kept
    }
}
