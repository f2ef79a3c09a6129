package io.icws.licenses.icws;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLSession;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the log-in answer sets is kept whole: every cookie, not only the first; and what it sets is checked before
 * it is used: the session id against a strict pattern (it goes into paths), the CSRF token as a plain header value.
 */
class IcwsClientTest {

    @Test
    void everyCookieOfTheLoginAnswerIsKeptAndSentBack() {
        HttpResponse<String> answer = new Answer(HttpHeaders.of(Map.of("Set-Cookie", List.of(
                "icws_abc=5f1e-guid; Path=/icws/abc; HttpOnly",
                "AWSALB=lb-route-7; Expires=Tue, 01 Dec 2026 00:00:00 GMT; Path=/")), (a, b) -> true));

        assertThat(IcwsClient.cookies(answer)).isEqualTo("icws_abc=5f1e-guid; AWSALB=lb-route-7");
    }

    @Test
    void aCookieSetTwiceKeepsItsLastValue() {
        HttpResponse<String> answer = new Answer(HttpHeaders.of(Map.of("Set-Cookie", List.of(
                "icws_abc=old; Path=/icws/abc", "icws_abc=new; Path=/icws/abc")), (a, b) -> true));

        assertThat(IcwsClient.cookies(answer)).isEqualTo("icws_abc=new");
    }

    @Test
    void aCookieThatCouldNotBeSentBackIsLeftOut() {
        HttpResponse<String> answer = new Answer(HttpHeaders.of(Map.of("Set-Cookie", List.of(
                "icws_abc=guid; Path=/icws/abc", "bad=a\u0001b; Path=/", "wide=\u00e9t\u00e9")), (a, b) -> true));

        assertThat(IcwsClient.cookies(answer)).isEqualTo("icws_abc=guid");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a1b2c3", "0123456789abcdef0123456789abcdef", "A-b_c.d~e", "..x", "x.."})
    void plainSessionIdsAreAccepted(String id) {
        IcwsClient.checkSessionId(201, id);
        assertThat(IcwsClient.SESSION_ID.matcher(id).matches()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../x", "..", ".", "a/b", "a?b=c", "a%2Fb", "a b", "a\r\nX-Evil: 1", "a#b", "a;b",
            "caf\u00e9", "a\u2028b"})
    void hostileSessionIdsAreAFailedLoginShowingTheValueSafely(String id) {
        assertThatThrownBy(() -> IcwsClient.checkSessionId(201, id))
                .isInstanceOf(IcwsRequestException.class)
                .hasMessageContaining("POST /icws/connection answered 201")
                .hasMessageContaining("is not a plain session id")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\r", "\n", "\u2028"))
                .satisfies(e -> assertThat(((IcwsRequestException) e).kind()).isEqualTo(IcwsRequestException.Kind.PERMANENT));
    }

    @Test
    void aSessionIdLongerThan128IsRefusedAndShownBounded() {
        assertThatThrownBy(() -> IcwsClient.checkSessionId(201, "a".repeat(129))).isInstanceOf(IcwsRequestException.class)
                .hasMessageContaining("(129 characters)");
        String id = "a".repeat(5000);
        assertThatThrownBy(() -> IcwsClient.checkSessionId(201, id)).isInstanceOf(IcwsRequestException.class)
                .hasMessageContaining("\u2026")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(id));
        IcwsClient.checkSessionId(201, "a".repeat(128));
    }

    @ParameterizedTest
    @ValueSource(strings = {"WAhhZ2VudDEsMjAxOS4wLg==", "tok/en+with=chars", "a b"})
    void plainCsrfTokensAreAccepted(String token) {
        IcwsClient.checkCsrfToken(201, token);
    }

    @Test
    void aCsrfTokenThatIsNotAPlainHeaderValueIsAFailedLoginThatNeverShowsTheToken() {
        String secret = "s3cr3tT0ken";
        assertThatThrownBy(() -> IcwsClient.checkCsrfToken(201, secret + "\r\nX-Evil: 1"))
                .isInstanceOf(IcwsRequestException.class)
                .hasMessageContaining("the csrfToken holds a CR (U+000D) at position 11")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
        assertThatThrownBy(() -> IcwsClient.checkCsrfToken(201, secret + "\u0000"))
                .hasMessageContaining("a control character");
        assertThatThrownBy(() -> IcwsClient.checkCsrfToken(201, " " + secret)).hasMessageContaining("space");
        assertThatThrownBy(() -> IcwsClient.checkCsrfToken(201, "")).hasMessageContaining("is empty");
        assertThatThrownBy(() -> IcwsClient.checkCsrfToken(201, "x".repeat(4097))).hasMessageContaining("longer than 4096");
        assertThatThrownBy(() -> IcwsClient.checkCsrfToken(201, secret + "\u00e9")).hasMessageContaining("not ASCII");
    }

    @Test
    void aSessionCannotBeMadeWithAHostileIdOrToken() {
        URI server = URI.create("http://127.0.0.1:1");
        assertThatThrownBy(() -> new IcwsSession(server, "../x", "t", "c=1", 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IcwsSession(server, "abc", "t\n", "c=1", 2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new IcwsSession(server, "abc", "t", "c=1", 2).sessionId()).isEqualTo("abc");
    }

    @Test
    void aLoginAnswerWithAHostileSessionIdIsAFailedLoginAndAPlainOneIsASession() {
        URI server = URI.create("http://127.0.0.1:1");
        HttpHeaders cookie = HttpHeaders.of(Map.of("Set-Cookie", List.of("icws_x=guid; Path=/icws/x")), (a, b) -> true);

        assertThatThrownBy(() -> IcwsClient.readLogin(server, new Answer(cookie,
                "{\"sessionId\":\"../../connection?x=1\",\"csrfToken\":\"tok\"}")))
                .isInstanceOf(IcwsRequestException.class)
                .hasMessageContaining("the sessionId '../../connection?x=1'");
        assertThatThrownBy(() -> IcwsClient.readLogin(server, new Answer(cookie,
                "{\"sessionId\":\"abc\",\"csrfToken\":\"tok\\r\\nSet-Cookie: x=1\"}")))
                .isInstanceOf(IcwsRequestException.class)
                .hasMessageContaining("the csrfToken holds a CR");
        IcwsClient.Login ok = IcwsClient.readLogin(server, new Answer(cookie, "{\"sessionId\":\"abc\",\"csrfToken\":\"tok\"}"));
        assertThat(ok.session().sessionId()).isEqualTo("abc");
        assertThat(ok.session().cookies()).isEqualTo("icws_x=guid");
    }

    private record Answer(HttpHeaders headers, String body) implements HttpResponse<String> {

        Answer(HttpHeaders headers) {
            this(headers, "");
        }

        @Override
        public int statusCode() {
            return 201;
        }

        @Override
        public HttpRequest request() {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1/")).build();
        }

        @Override
        public Optional<HttpResponse<String>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return Optional.empty();
        }

        @Override
        public URI uri() {
            return URI.create("http://127.0.0.1/");
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
