package io.icws.licenses.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IcwsSettingsTest {

    private final Map<String, String> values = new HashMap<>(Map.of(
            "icws.server", "https://cic.example.com:8019",
            "icws.user", "agent1",
            "icws.password", "pw",
            "icws.licenses", "I3_ACCESS_CLIENT, I3_LICENSE_BASIC_STATION",
            "icws.subscribe.cron", "0 0/15 * * * ?",
            "icws.state.directory", "data/state",
            "icws.dead-letter.directory", "data/dead-letter",
            "icws.notify.jms.destination", "icws.license.changes",
            "icws.notify.file.directory", "data/changes"));

    private IcwsSettings read() {
        return IcwsSettings.from(key -> Optional.ofNullable(values.get(key)));
    }

    @Test
    void validSettingsAreRead() {
        IcwsSettings settings = read();

        assertThat(settings.servers()).containsExactly(URI.create("https://cic.example.com:8019"));
        assertThat(settings.licenses()).containsExactly("I3_ACCESS_CLIENT", "I3_LICENSE_BASIC_STATION");
        assertThat(settings.dsl()).isEqualTo(IcwsSettings.Dsl.YAML);
        assertThat(settings.toString()).doesNotContain("pw");
    }

    @ParameterizedTest(name = "{0}=''{1}'' is refused")
    @CsvSource(delimiter = '|', value = {
        "icws.server|''|is not set",
        "icws.server|ftp://cic.example.com|is not an http(s) base URL",
        "icws.user|''|is not set",
        "icws.licenses|''|is empty",
        "icws.licenses|I3_OK,../etc/passwd|'../etc/passwd' is not a license name",
        "icws.dsl|groovy|'groovy' is not one of yaml, java",
        "icws.subscribe.cron|every minute|is not a Quartz cron expression",
        "icws.poll.interval|soon|is not a duration",
        "icws.notify.email.changes|deleted|'deleted' is not one of observed, assigned, unassigned",
        "icws.notify.file.enabled|yes|'yes' is neither true nor false"})
    void badSettingIsRefusedNamingTheKey(String key, String value, String problem) {
        values.put(key, value);

        assertThatThrownBy(this::read)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid setting " + key + ": ")
                .hasMessageContaining(problem)
                .hasMessageContaining(InvalidSettingException.environmentName(key));
    }

    @Test
    void missingPasswordIsRefusedForARealServer() {
        values.remove("icws.password");

        assertThatThrownBy(this::read).hasMessageStartingWith("Invalid setting icws.password: is not set");
    }

    @Test
    void passwordComesFromAFile(@TempDir Path folder) throws Exception {
        values.remove("icws.password");
        Path file = Files.writeString(folder.resolve("pw"), "from-file\n");
        values.put("icws.password-file", file.toString());

        assertThat(read().password()).isEqualTo("from-file");
    }

    @Test
    void embeddedServerNeedsNoUserNorPassword() {
        values.put("icws.server", "embedded");
        values.remove("icws.user");
        values.remove("icws.password");

        IcwsSettings settings = read();

        assertThat(settings.embedded()).isTrue();
        assertThat(settings.user()).isEqualTo(IcwsSettings.DEMO_USER);
    }

    @Test
    void enabledEmailNeedsRecipient() {
        values.put("icws.notify.email.enabled", "true");

        assertThatThrownBy(this::read).hasMessageStartingWith("Invalid setting icws.notify.email.to: is not set");
    }
}
