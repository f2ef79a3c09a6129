package io.icws.licenses.icws;

import java.util.List;
import java.util.Map;

import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChange;
import io.icws.licenses.state.LicenseState;
import io.icws.licenses.state.LicenseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Both shapes of the license message, what is malformed, and trailing JSON. */
class IcwsMessagesTest {

    private static final String TYPE = "\"__type\":\"urn:inin.com:licenses:licenseMessage\"";
    private final IcwsMessages messages = new IcwsMessages();

    private static String flat(boolean isDelta, String name, boolean assigned) {
        return "{" + TYPE + ",\"isDelta\":" + isDelta + ",\"name\":\"" + name + "\",\"isAssigned\":" + assigned + "}";
    }

    @Test
    void theListShapeIsReadAsTheServerSaidIt() {
        LicenseMessage m = messages.licenseMessage("{" + TYPE + ",\"isDelta\":false,\"licenseAssignedStatusList\":["
                + "{\"name\":\"I3_ACCESS_CLIENT\",\"isAssigned\":true},{\"name\":\"I3_LICENSE_BASIC_STATION\",\"isAssigned\":false}]}");

        assertThat(m.shape()).isEqualTo(LicenseMessage.Shape.LIST);
        assertThat(m.delta()).isFalse();
        assertThat(m.sentIsDelta()).isFalse();
        assertThat(m.snapshot()).isTrue();
        assertThat(m.statuses()).containsExactly(new LicenseStatus("I3_ACCESS_CLIENT", true),
                new LicenseStatus("I3_LICENSE_BASIC_STATION", false));
    }

    @Test
    void theFlatShapeOfTheReferencePageIsOneLicense() {
        LicenseMessage m = messages.licenseMessage(flat(true, "I3_ACCESS_CLIENT", false));

        assertThat(m.shape()).isEqualTo(LicenseMessage.Shape.FLAT);
        assertThat(m.delta()).isTrue();
        assertThat(m.sentIsDelta()).isTrue();
        assertThat(m.snapshot()).isFalse();
        assertThat(m.statuses()).containsExactly(new LicenseStatus("I3_ACCESS_CLIENT", false));
    }

    @Test
    void aFlatSnapshotIsAppliedAsADeltaOfItsOneLicenseAndKeepsTheRecordedFlag() {
        LicenseMessage m = messages.licenseMessage(flat(false, "I3_ACCESS_CLIENT", true));

        assertThat(m.delta()).as("applied as a delta").isTrue();
        assertThat(m.sentIsDelta()).as("as the server sent it").isFalse();
        assertThat(m.snapshot()).isTrue();
    }

    @Test
    void flatSnapshotsOfASubscriptionNeverMakeTheOtherLicensesVanishOrReadAsUnassigned() {
        LicenseState state = new LicenseState();
        List<String> subscription = List.of(
                flat(false, "I3_ACCESS_CLIENT", true),
                flat(false, "I3_LICENSE_BASIC_STATION", true),
                flat(false, "I3_ACCESS_FEEDBACK", false));
        for (String message : subscription) {
            LicenseMessage m = messages.licenseMessage(message);
            state.apply(m.delta(), m.statuses());
        }
        assertThat(state.snapshot()).isEqualTo(Map.of("I3_ACCESS_CLIENT", true, "I3_LICENSE_BASIC_STATION", true,
                "I3_ACCESS_FEEDBACK", false));

        // the same snapshot again (a new subscription): nothing changed, so nothing is reported
        for (String message : subscription) {
            LicenseMessage m = messages.licenseMessage(message);
            assertThat(state.apply(m.delta(), m.statuses())).isEmpty();
        }

        // a flat isDelta:false about one license changes that one only
        LicenseMessage unassigned = messages.licenseMessage(flat(false, "I3_LICENSE_BASIC_STATION", false));
        List<LicenseChange> changes = state.apply(unassigned.delta(), unassigned.statuses());
        assertThat(changes).extracting(LicenseChange::license, LicenseChange::type)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("I3_LICENSE_BASIC_STATION", ChangeType.UNASSIGNED));
        assertThat(state.snapshot()).containsEntry("I3_ACCESS_CLIENT", true).containsEntry("I3_ACCESS_FEEDBACK", false);
    }

    @Test
    void aMessageWithoutTypeIsStillReadButAnotherTypeIsMalformed() {
        assertThat(messages.licenseMessage("{\"isDelta\":true,\"name\":\"I3_X\",\"isAssigned\":true}").statuses())
                .containsExactly(new LicenseStatus("I3_X", true));
        assertThatThrownBy(() -> messages.licenseMessage(
                "{\"__type\":\"urn:inin.com:other\",\"isDelta\":true,\"name\":\"I3_X\",\"isAssigned\":true}"))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("__type");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "both shapes        | ,\"isDelta\":true,\"name\":\"I3_X\",\"isAssigned\":true,\"licenseAssignedStatusList\":[] | both shapes",
        "both, isAssigned   | ,\"isDelta\":true,\"isAssigned\":true,\"licenseAssignedStatusList\":[]             | both shapes",
        "neither            | ,\"isDelta\":true                                                                   | neither",
        "isDelta missing    | ,\"name\":\"I3_X\",\"isAssigned\":true                                              | isDelta is missing",
        "isDelta a string   | ,\"isDelta\":\"true\",\"name\":\"I3_X\",\"isAssigned\":true                         | isDelta is not a boolean",
        "flat, no name      | ,\"isDelta\":true,\"isAssigned\":true                                               | has no name",
        "flat, name number  | ,\"isDelta\":true,\"name\":7,\"isAssigned\":true                                    | name that is not a string",
        "flat, empty name   | ,\"isDelta\":true,\"name\":\"\",\"isAssigned\":true                                 | empty name",
        "flat, no assigned  | ,\"isDelta\":true,\"name\":\"I3_X\"                                                 | no isAssigned",
        "flat, assigned str | ,\"isDelta\":true,\"name\":\"I3_X\",\"isAssigned\":\"yes\"                          | isAssigned that is not a boolean",
        "list not a list    | ,\"isDelta\":true,\"licenseAssignedStatusList\":{}                                  | licenseAssignedStatusList is not a list",
        "list null          | ,\"isDelta\":true,\"licenseAssignedStatusList\":null                                | licenseAssignedStatusList is not a list",
        "item not an object | ,\"isDelta\":true,\"licenseAssignedStatusList\":[\"I3_X\"]                          | item 0 is not an object",
        "item, no assigned  | ,\"isDelta\":true,\"licenseAssignedStatusList\":[{\"name\":\"I3_X\"}]               | item 0 has no isAssigned",
        "item, name null    | ,\"isDelta\":true,\"licenseAssignedStatusList\":[{\"name\":null,\"isAssigned\":true}] | item 0 has a name that is not a string",
    })
    void malformedMessagesNameTheFieldAndWhatIsWrong(String title, String fields, String reason) {
        assertThatThrownBy(() -> messages.licenseMessage("{" + TYPE + fields + "}"))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageStartingWith("license message: ")
                .hasMessageContaining(reason);
    }

    @Test
    void notAnObjectIsMalformed() {
        assertThatThrownBy(() -> messages.licenseMessage("[1]")).isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("not a JSON object");
    }

    @Test
    void trailingJsonAfterAMessageIsMalformedNotDroppedSilently() {
        String two = "{" + TYPE + ",\"isDelta\":true,\"name\":\"I3_X\",\"isAssigned\":true} "
                + "{" + TYPE + ",\"isDelta\":true,\"name\":\"I3_Y\",\"isAssigned\":false}";

        assertThatThrownBy(() -> messages.licenseMessage(two)).isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("followed by more JSON");
        assertThatThrownBy(() -> messages.type("{\"a\":1} {\"b\":2}")).isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("followed by more JSON");
        assertThatThrownBy(() -> messages.type("{\"a\":1} x")).isInstanceOf(MalformedMessageException.class);
    }

    @Test
    void splitKeepsTextWithTwoJsonValuesWholeSoTypeRefusesIt() {
        assertThat(messages.split("{\"a\":1} {\"b\":2}")).containsExactly("{\"a\":1} {\"b\":2}");
        assertThat(messages.split("[{\"a\":1}] [{\"b\":2}]")).containsExactly("[{\"a\":1}] [{\"b\":2}]");
        for (String part : messages.split("[{\"a\":1}] [{\"b\":2}]")) {
            assertThatThrownBy(() -> messages.type(part)).isInstanceOf(MalformedMessageException.class);
        }
        assertThat(messages.split("[{\"a\":1},{\"b\":2}]")).containsExactly("{\"a\":1}", "{\"b\":2}");
        assertThat(messages.split("[]  \n")).isEmpty();
    }

    @Test
    void splitGivesEachObjectOfAnArrayAsItsTextCameAndTheRestAsATreeWouldRead() {
        String first = "{ \"__type\" : \"t\", \"s\": \"a}],[{\\\"b\" }";
        String second = "{\"n\":{\"deep\":[1,{\"x\":[]}]}}";
        assertThat(messages.split("  [ " + first + " ,\n" + second + "]\n")).containsExactly(first, second);
        assertThat(messages.type(messages.split("[" + first + "]").get(0))).isEqualTo("t");
        // not all objects: each value as the tree prints it, so that type() names what it is
        assertThat(messages.split("[{\"a\":1}, 2, \"x\"]")).containsExactly("{\"a\":1}", "2", "\"x\"");
        // broken inside an object, or text after the array: the body whole, as before
        assertThat(messages.split("[{\"a\":1},{\"b\":]")).containsExactly("[{\"a\":1},{\"b\":]");
        assertThat(messages.split("[{\"a\":1}] x")).containsExactly("[{\"a\":1}] x");
    }

    @Test
    void aLicenseMessageReadByTypeIsTheSameWhenItIsReadAgainAndAnotherTextIsReadAfresh() {
        String message = "{" + TYPE + ",\"isDelta\":true,\"name\":\"I3_X\",\"isAssigned\":true}";
        String other = "{" + TYPE + ",\"isDelta\":true,\"name\":\"I3_Y\",\"isAssigned\":false}";
        messages.type(message);

        assertThat(messages.licenseMessage(other).statuses().get(0).name()).isEqualTo("I3_Y");
        messages.type(message);
        assertThat(messages.licenseMessage(message).statuses().get(0).name()).isEqualTo("I3_X");
        // an equal text that is another string is read afresh, and so is the same one read again
        assertThat(messages.licenseMessage(new String(message)).statuses().get(0).name()).isEqualTo("I3_X");
        assertThat(messages.licenseMessage(message).statuses().get(0).name()).isEqualTo("I3_X");
    }

    @Test
    void theServersWordsInAReasonAreOneLine() {
        // Jackson escapes control characters when it prints a value, but not a line separator
        assertThatThrownBy(() -> messages.licenseMessage("{" + TYPE + ",\"isDelta\":\"a\u2028forged line\","
                + "\"name\":\"I3_X\",\"isAssigned\":true}"))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("forged line")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u2028"));
    }

    @Test
    void shouldReconnectIsFalseOnlyWhenTheMessageSaysSo() {
        String base = "{\"__type\":\"urn:inin.com:connection:connectionStateChangeMessage\",\"isDelta\":false,"
                + "\"newConnectionState\":\"down\"";
        assertThat(messages.shouldReconnect(base + ",\"shouldReconnect\":false}")).isFalse();
        assertThat(messages.shouldReconnect(base + ",\"shouldReconnect\":true}")).isTrue();
        assertThat(messages.shouldReconnect(base + "}")).isTrue();
        assertThat(messages.shouldReconnect(base + ",\"shouldReconnect\":\"no\"}")).isTrue();
    }
}
