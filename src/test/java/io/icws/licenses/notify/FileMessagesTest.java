package io.icws.licenses.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseChangeEvent;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static io.icws.licenses.notify.ChangeFormatsTest.unassigned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The file target's one step per event: the document Camel's {@code marshal: json} wrote, and its file name. */
class FileMessagesTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final FileMessages files = new FileMessages();

    @Test
    void theBodyIsTheEventsJsonByteForByteAndTheNameIsChangeFormatsFileName() throws Exception {
        LicenseChangeEvent event = unassigned("I3_\r\nEVIL/../x");
        Message message = message(event);

        files.prepare(message);

        assertThat((byte[]) message.getBody()).isEqualTo(mapper.writeValueAsBytes(event));
        assertThat(message.getHeader(Exchange.FILE_NAME, String.class))
                .isEqualTo(new ChangeFormats().fileName(event))
                .doesNotContain("/").doesNotContain("\r").doesNotContain("\n");
    }

    @Test
    void aBodyThatIsNoEventIsRefusedNamingWhatItIs() {
        assertThatThrownBy(() -> files.prepare(message("not an event")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("takes a license change event, not java.lang.String");
        assertThatThrownBy(() -> files.prepare(message(null))).hasMessageContaining("not null");
    }

    private static Message message(Object body) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setBody(body);
        return exchange.getMessage();
    }
}
