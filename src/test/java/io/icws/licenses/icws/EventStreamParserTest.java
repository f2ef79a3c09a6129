package io.icws.licenses.icws;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    // ------------------------------------------------------------------ bytes as they arrive

    private static void bytes(EventStreamParser p, String text, int chunk) {
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < all.length; i += chunk) {
            p.bytes(ByteBuffer.wrap(all, i, Math.min(chunk, all.length - i)));
        }
    }

    @Test
    void bytesAreCutIntoLinesAtCrLfLfOrCrWhateverTheChunks() {
        String stream = "\uFEFFdata: {\"a\":\"\u00e9\u20ac\"}\r\n\r\ndata: two\n\ndata: three\r\rdata: x\r\n";
        for (int chunk : new int[] {1, 2, 3, 7, 1000}) {
            List<String> got = new ArrayList<>();
            bytes(new EventStreamParser(got::add), stream, chunk);
            assertThat(got).as("chunks of %d bytes", chunk).containsExactly("{\"a\":\"\u00e9\u20ac\"}", "two", "three");
        }
    }

    @Test
    void anEventUpToTheLimitIsHandedOverEvenOverSeveralLines() {
        List<String> got = new ArrayList<>();
        EventStreamParser p = new EventStreamParser(got::add, 10);
        // 4 + 1 (the joining newline) + 5 = 10 bytes of data
        bytes(p, "data: abcd\ndata: efghi\n\n", 4);
        // 9 bytes: an e-acute is two bytes in UTF-8
        bytes(p, "data: \u00e9\u00e9\u00e9\u00e9x\n\n", 4);

        assertThat(got).containsExactly("abcd\nefghi", "\u00e9\u00e9\u00e9\u00e9x");
        assertThat(p.spent()).isFalse();
    }

    @Test
    void anEventOverTheLimitIsRefusedAndThenTheParserIsSpent() {
        List<String> got = new ArrayList<>();
        EventStreamParser p = new EventStreamParser(got::add, 10);

        assertThatThrownBy(() -> bytes(p, "data: abcd\ndata: efghij\n\n", 3))
                .isInstanceOf(EventStreamParser.EventTooLargeException.class)
                .hasMessageContaining("more than 10 bytes of data")
                .hasMessageContaining("icws.sse.max-event-size");
        assertThat(p.spent()).isTrue();
        bytes(p, "data: ok\n\n", 100);
        assertThat(got).as("nothing after the refusal").isEmpty();
    }

    @Test
    void multiByteCharactersCountAsTheirUtf8Bytes() {
        EventStreamParser p = new EventStreamParser(events::add, 10);

        // five characters, fifteen bytes
        assertThatThrownBy(() -> p.line("data: \u20ac\u20ac\u20ac\u20ac\u20ac"))
                .isInstanceOf(EventStreamParser.EventTooLargeException.class);
    }

    @Test
    void aLineOverTheLimitIsRefusedBeforeItEndsSoItIsNeverHeldWhole() {
        EventStreamParser p = new EventStreamParser(events::add, 100);
        int limit = 100 + EventStreamParser.LINE_SLACK;
        // a comment line (not data) that never ends: refused once it passes the line limit
        p.bytes(ByteBuffer.wrap((":" + "x".repeat(limit - 1)).getBytes(StandardCharsets.US_ASCII)));
        assertThat(p.spent()).isFalse();

        assertThatThrownBy(() -> p.bytes(ByteBuffer.wrap("y".getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOf(EventStreamParser.EventTooLargeException.class)
                .hasMessageContaining("a line of more than " + limit + " bytes");
    }

    @Test
    void aLongLineGivenWholeIsRefusedToo() {
        EventStreamParser p = new EventStreamParser(events::add, 100);

        assertThatThrownBy(() -> p.line(": " + "x".repeat(200)))
                .isInstanceOf(EventStreamParser.EventTooLargeException.class);
    }

    @Test
    void theDefaultLimitIsOneMebibyte() {
        assertThat(new EventStreamParser(events::add).maxEventBytes()).isEqualTo(1 << 20);
        EventStreamParser p = new EventStreamParser(events::add);
        String big = "x".repeat((1 << 20) - 2);
        p.line("data: " + big);
        p.line("data: y"); // 1 MiB exactly with the joining newline
        p.line("");
        assertThat(events).hasSize(1);
        p.line("data: " + big);
        assertThatThrownBy(() -> p.line("data: yz")).isInstanceOf(EventStreamParser.EventTooLargeException.class);
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThatThrownBy(() -> new EventStreamParser(events::add, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepAliveCommentsAsBytesMakeNoEventAndAreCounted() {
        // what an idle stream is made of: a comment and a blank line, in any chunks, with any line ends
        String idle = ": keep-alive\n\n";
        for (int i = 0; i < 1000; i++) {
            parser.bytes(ByteBuffer.wrap(idle.getBytes(StandardCharsets.UTF_8)));
        }
        parser.bytes(ByteBuffer.wrap(":\r\n\r\n:x\r\r".getBytes(StandardCharsets.UTF_8)));
        byte[] split = ": keep-alive\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        for (byte b : split) {
            parser.bytes(ByteBuffer.wrap(new byte[] {b})); // one byte at a time, the CR LF cut in two
        }
        assertThat(events).isEmpty();
        assertThat(parser.comments()).isEqualTo(1003);
        // and an event after them is whole, its lines around comments
        parser.bytes(ByteBuffer.wrap("data: {\"a\":\n: between\ndata: 1}\n\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(events).containsExactly("{\"a\":\n1}");
        assertThat(parser.comments()).isEqualTo(1004);
    }

    @Test
    void aCommentAfterAByteOrderMarkIsStillAComment() {
        parser.bytes(ByteBuffer.wrap("\uFEFF: hello\n\ndata: x\n\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(events).containsExactly("x");
        assertThat(parser.comments()).isEqualTo(1);
    }

    @Test
    void aBlankLineEndsAnEventTypedButWithoutDataQuietly() {
        parser.bytes(ByteBuffer.wrap("event: other\n\ndata: y\n\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(events).containsExactly("y"); // the type did not stick to the next event
    }
}
