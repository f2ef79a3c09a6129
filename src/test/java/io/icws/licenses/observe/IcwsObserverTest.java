package io.icws.licenses.observe;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IcwsObserverTest {

    @Test
    void anEventsTimeIsReadAsInstantParseReadsIt() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            long seconds = random.nextLong(0, 4_102_444_800L); // 1970 to 2100
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            String text = Instant.ofEpochSecond(seconds, nanos).toString();
            assertThat(IcwsObserver.instantOf(text)).as(text).isEqualTo(Instant.parse(text));
        }
        assertThat(IcwsObserver.instantOf("2024-02-29T23:59:59.5Z")).isEqualTo(Instant.parse("2024-02-29T23:59:59.5Z"));
    }

    @Test
    void anyOtherTextGoesToTheParser() {
        assertThat(IcwsObserver.instantOf("2026-11-28T01:47:10+01:00")).isEqualTo(Instant.parse("2026-11-28T00:47:10Z"));
        assertThatThrownBy(() -> IcwsObserver.instantOf("2026-02-30T01:47:10Z")).isInstanceOf(DateTimeParseException.class);
        assertThatThrownBy(() -> IcwsObserver.instantOf("2026-1x-28T01:47:10Z")).isInstanceOf(DateTimeParseException.class);
        assertThatThrownBy(() -> IcwsObserver.instantOf("not a time")).isInstanceOf(DateTimeParseException.class);
    }
}
