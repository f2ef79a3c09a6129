package io.icws.licenses.observe;

import java.util.List;
import java.util.Map;

import io.icws.licenses.support.SafeText;
import org.apache.camel.spi.annotations.DevConsole;
import org.apache.camel.support.console.AbstractDevConsole;

/**
 * Camel's dev console {@code icws} ({@code /q/dev/icws} in camel-main, text or JSON): per connection the server,
 * user, session state, receive mode, last message, license states and the recent changes; per target its queue
 * and last error. The same {@link IcwsObserver#view()} the jar's status page shows; no setting beyond ids, users,
 * servers and licenses, no secret.
 */
@DevConsole(name = "icws", displayName = "ICWS license routes",
        description = "ICWS connections, license states, recent changes and target queues")
public class IcwsDevConsole extends AbstractDevConsole {

    public IcwsDevConsole() {
        super("camel", "icws", "ICWS license routes", "ICWS connections, license states, recent changes and target queues");
    }

    @Override
    protected String doCallText(Map<String, Object> options) {
        Map<String, Object> view = IcwsObserver.of(getCamelContext()).view();
        StringBuilder b = new StringBuilder();
        for (Map<String, Object> c : list(view.get("connections"))) {
            b.append("Connection ").append(text(c.get("id"))).append(": ").append(text(c.get("state")));
            if (c.get("why") != null) {
                b.append(" (").append(text(c.get("why"))).append(')');
            }
            b.append('\n');
            line(b, "user", c.get("user"));
            line(b, "server", c.get("server"));
            line(b, "session", c.get("session"));
            line(b, "mode", c.get("mode"));
            line(b, "last message", c.get("lastMessage"));
            line(b, "log-ins", c.get("logins"));
            if (c.get("licenses") instanceof Map<?, ?> licenses) {
                licenses.forEach((license, assigned) -> b.append("    ").append(text(license)).append(": ")
                        .append(assigned == null ? "unknown" : Boolean.TRUE.equals(assigned) ? "assigned" : "not assigned")
                        .append('\n'));
            }
        }
        b.append("Recent changes (newest first):\n");
        List<Map<String, Object>> changes = list(view.get("changes"));
        if (changes.isEmpty()) {
            b.append("    none yet\n");
        }
        for (Map<String, Object> c : changes) {
            b.append("    ").append(text(c.get("time"))).append(' ').append(text(c.get("changeType"))).append(' ')
                    .append(text(c.get("license"))).append(" for ").append(text(c.get("user"))).append(" (id ")
                    .append(text(c.get("id"))).append(")\n");
        }
        for (Map<String, Object> t : list(view.get("targets"))) {
            b.append("Target ").append(text(t.get("target"))).append(": ").append(text(t.get("state")))
                    .append(", queue ").append(text(t.get("depth"))).append(", delivered ").append(text(t.get("delivered")))
                    .append(", dead letters ").append(text(t.get("deadLettered")));
            if (t.get("lastError") != null) {
                b.append(", last error: ").append(text(t.get("lastError")));
            }
            b.append('\n');
        }
        return b.toString();
    }

    @Override
    protected Map<String, Object> doCallJson(Map<String, Object> options) {
        return IcwsObserver.of(getCamelContext()).view();
    }

    private static void line(StringBuilder b, String name, Object value) {
        if (value != null) {
            b.append("    ").append(name).append(": ").append(text(value)).append('\n');
        }
    }

    /** Server strings on one line, bounded: no line of the console can be forged. */
    private static String text(Object value) {
        return value == null ? "-" : SafeText.line(String.valueOf(value), 300);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }
}
