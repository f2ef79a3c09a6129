package io.icws.licenses.support;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What log lines show of a URL a person configured: never its credentials. */
class SafeTextTest {

    @Test
    void aUrlIsShownWithoutUserInfoOrQuery() {
        assertThat(SafeText.url("tcp://broker.example.com:61616?user=icws&password=Sekr3t"))
                .isEqualTo("tcp://broker.example.com:61616?…");
        assertThat(SafeText.url("amqp://icws:Sekr3t@broker:5672/queue")).isEqualTo("amqp://broker:5672/queue");
        assertThat(SafeText.url("(tcp://a:61616,tcp://b:61616)?ha=true")).isEqualTo("(tcp://a:61616,tcp://b:61616)?…");
        assertThat(SafeText.url("embedded")).isEqualTo("embedded");
        assertThat(SafeText.url(null)).isEmpty();
    }
}
