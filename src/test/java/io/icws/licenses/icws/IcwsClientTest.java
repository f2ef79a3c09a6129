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

import static org.assertj.core.api.Assertions.assertThat;

/** What the log-in answer sets is kept whole: every cookie, not only the first. */
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

    private record Answer(HttpHeaders headers) implements HttpResponse<String> {
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
        public String body() {
            return "";
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
