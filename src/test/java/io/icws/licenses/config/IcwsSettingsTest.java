package io.icws.licenses.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
            "icws.outbox.directory", "data/outbox",
            "icws.dead-letter.directory", "data/dead-letter",
            "icws.notify.file.directory", "data/changes"));

    private Optional<String> lookup(String key) {
        return Optional.ofNullable(values.get(key));
    }

    private IcwsSettings shared() {
        return IcwsSettings.from(this::lookup, values.keySet().stream()
                .filter(k -> k.startsWith(ConnectionSettings.PREFIX)).collect(java.util.stream.Collectors.toSet()));
    }

    private ConnectionSettings connection(String id) {
        return ConnectionSettings.read(id, new SettingsReader(this::lookup), new Secrets(this::lookup));
    }

    private void readAll() {
        for (String id : shared().connections()) {
            connection(id);
        }
    }

    @Test
    void withoutConnectionKeysTheTopLevelOnesMakeTheConnectionDefault() {
        IcwsSettings settings = shared();
        ConnectionSettings c = connection("default");

        assertThat(settings.connections()).containsExactly("default");
        assertThat(c.servers()).containsExactly(URI.create("https://cic.example.com:8019"));
        assertThat(c.licenses()).containsExactly("I3_ACCESS_CLIENT", "I3_LICENSE_BASIC_STATION");
        assertThat(c.receive()).isEqualTo(ConnectionSettings.ReceiveMode.AUTO);
        assertThat(c.toString()).doesNotContain("pw");
    }

    @Test
    void withoutAListTheKeysNameTheConnections() {
        values.put("icws.connections.site-a.user", "svc-a");
        values.put("icws.connections.site-b.user", "svc-b");

        assertThat(shared().connections()).containsExactly("site-a", "site-b");
    }

    @Test
    void connectionsAreFoundByTheirKeysAndByTheListAndTakeWhatTheyDoNotGiveFromTheTopLevel() {
        values.put("icws.connections", "site-b");
        values.put("icws.connections.site-a.user", "svc-a");
        values.put("icws.connections.site-a.poll.interval", "250");
        values.put("icws.connections.site-b.server", "https://cic2.example.com:8019");
        values.put("icws.connections.site-b.password", "pw-b");

        assertThat(shared().connections()).containsExactlyInAnyOrder("site-a", "site-b");
        ConnectionSettings a = connection("site-a");
        ConnectionSettings b = connection("site-b");
        assertThat(a.user()).isEqualTo("svc-a");
        assertThat(a.pollInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(a.password()).isEqualTo("pw");
        assertThat(a.servers()).containsExactly(URI.create("https://cic.example.com:8019"));
        assertThat(b.user()).isEqualTo("agent1");
        assertThat(b.password()).isEqualTo("pw-b");
        assertThat(b.servers()).containsExactly(URI.create("https://cic2.example.com:8019"));
        assertThat(b.pollInterval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aBadValueOfAConnectionNamesTheConnectionsKey() {
        values.put("icws.connections.site-a.licenses", "OK,BAD NAME");

        assertThatThrownBy(() -> connection("site-a"))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid setting icws.connections.site-a.licenses: 'BAD NAME' is not a license name")
                .hasMessageContaining("ICWS_CONNECTIONS_SITE_A_LICENSES");
    }

    @Test
    void aMissingValueOfAConnectionNamesTheConnectionsKey() {
        values.remove("icws.user");
        values.put("icws.connections.site-b.server", "https://cic2.example.com:8019");

        assertThatThrownBy(() -> connection("site-b")).isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid setting icws.connections.site-b.user: is not set, nor is icws.user");
    }

    @ParameterizedTest(name = "connection id ''{0}'' is refused")
    @CsvSource({"Site-A", "-x", "a.b", "a_b"})
    void connectionIdsAreLowerCaseLettersDigitsAndDashes(String id) {
        assertThatThrownBy(() -> connection(id)).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("is not a connection id");
    }

    @ParameterizedTest(name = "{0}=''{1}'' is refused")
    @CsvSource(delimiter = '|', value = {
        "icws.server|''|is not set",
        "icws.server|ftp://cic.example.com|is not an http(s) base URL",
        "icws.user|''|is not set",
        "icws.licenses|''|is empty",
        "icws.licenses|I3_OK,../etc/passwd|'../etc/passwd' is not a license name",
        "icws.dsl|groovy|'groovy' is not one of yaml, java",
        "icws.receive|push|'push' is not one of auto, sse, poll",
        "icws.subscribe.cron|every minute|is not a Quartz cron expression",
        "icws.poll.interval|soon|is not a duration",
        "icws.notify.email.changes|deleted|'deleted' is not one of observed, assigned, unassigned",
        "icws.notify.file.enabled|yes|'yes' is neither true nor false"})
    void badSettingIsRefusedNamingTheKey(String key, String value, String problem) {
        values.put(key, value);

        assertThatThrownBy(this::readAll)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid setting " + key + ": ")
                .hasMessageContaining(problem)
                .hasMessageContaining(InvalidSettingException.environmentName(key));
    }

    @Test
    void aMissingPasswordNamesTheEnvironmentVariableAndThePasswordFileNotTheSettingsFile() {
        values.remove("icws.password");

        assertThatThrownBy(this::readAll).hasMessageStartingWith("Invalid setting icws.password: is not set")
                .hasMessageContaining("ICWS_PASSWORD").hasMessageContaining("icws.password-file")
                .hasMessageNotContaining("set it in config/application.properties");
    }

    @Test
    void passwordComesFromAFile(@TempDir Path folder) throws Exception {
        values.remove("icws.password");
        Path file = Files.writeString(folder.resolve("pw"), "from-file\n");
        values.put("icws.password-file", file.toString());

        assertThat(connection("default").password()).isEqualTo("from-file");
    }

    @Test
    void embeddedServerNeedsNoUserNorPassword() {
        values.put("icws.server", "embedded");
        values.remove("icws.user");
        values.remove("icws.password");

        ConnectionSettings settings = connection("default");

        assertThat(settings.embedded()).isTrue();
        assertThat(settings.user()).isEqualTo(ConnectionSettings.DEMO_USER);
    }

    @Test
    void enabledEmailNeedsRecipient() {
        values.put("icws.notify.email.enabled", "true");

        assertThatThrownBy(this::shared).hasMessageStartingWith("Invalid setting icws.notify.email.to: is not set");
    }

    @Test
    void jmsIsOffUnlessTurnedOnAndThenNeedsABroker() {
        assertThat(shared().targets().jms()).isFalse();
        values.put("icws.notify.jms.enabled", "true");
        values.put("icws.notify.jms.destination", "q");

        assertThatThrownBy(this::shared).hasMessageStartingWith("Invalid setting icws.notify.jms.broker-url: is not set");
        values.put("icws.notify.jms.broker-url", "tcp://broker:61616");
        assertThat(shared().targets().names()).containsExactly("log", "file", "jms");
    }

    @Test
    void secretKeysAreKnownAsSecrets() {
        assertThat(Set.of("icws.password", "icws.connections.a.password", "icws.notify.jms.password",
                "icws.notify.email.password", "icws.tls.trust-store-password")).allMatch(Secrets::isSecret);
        assertThat(Secrets.isSecret("icws.password-file")).isFalse();
    }
}
