package io.icws.licenses.icws;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The server-sent events format, as the stream's lines arrive. */
class EventStreamParserTest {

    private final List<String> events = new ArrayList<>();
    private final EventStreamParser parser = new EventStreamParser(events::add);

    private void feed(String... lines) {
        for (String line : lines) {
            parser.line(line);
        }
    }

    @Test
    void anEventEndsAtABlankLine() {
        feed("data: {\"a\":1}");
        assertThat(events).isEmpty();
        feed("");
        assertThat(events).containsExactly("{\"a\":1}");
    }

    @Test
    void severalDataLinesAreJoinedWithNewlines() {
        feed("data: {\"__type\":\"x\",", "data: \"isDelta\":true}", "");
        assertThat(events).containsExactly("{\"__type\":\"x\",\n\"isDelta\":true}");
    }

    @Test
    void commentsIdRetryAndMessageEventsDoNotDisturbAnything() {
        feed(": keep-alive", "", "id: 7", "retry: 3000", "event: message", "data:{\"a\":1}", "");
        assertThat(events).containsExactly("{\"a\":1}");
        assertThat(parser.lastEventId()).isEqualTo("7");
        assertThat(parser.retryMillis()).isEqualTo(3000);
    }

    @Test
    void anEventOfAnotherNamedTypeIsSkipped() {
        feed("event: ping", "data: hello", "", "data: {\"b\":2}", "");
        assertThat(events).containsExactly("{\"b\":2}");
    }

    @Test
    void aFieldWithoutColonOrValueAndUnknownFieldsAreIgnored() {
        feed("data", "foo: bar", "", "data:  two spaces", "");
        assertThat(events).containsExactly("", " two spaces");
    }

    @Test
    void blankLinesWithoutDataDispatchNothingAndAByteOrderMarkIsDropped() {
        feed("\uFEFF: hello", "", "", "data: x", "");
        assertThat(events).containsExactly("x");
    }

    @Test
    void aBadRetryValueIsIgnored() {
        feed("retry: soon", "retry: 12a", "data: x", "");
        assertThat(parser.retryMillis()).isEqualTo(-1);
        assertThat(events).containsExactly("x");
    }
}
