package io.icws.licenses.notify;

import java.util.Locale;
import java.util.Properties;

import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.config.Secrets;
import io.icws.licenses.config.SettingsReader;
import jakarta.mail.PasswordAuthentication;
import org.apache.camel.CamelContext;
import org.apache.camel.component.mail.MailAuthenticator;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP connection of the email target, as beans the {@code smtp} endpoint refers to, so that the password
 * never appears in an endpoint URI (Camel logs those) nor goes through property resolution (which logs values):
 * {@code icwsMailAuthenticator} (user and password; only when a user is set) and {@code icwsMailProperties}
 * (STARTTLS or SSL, time-outs).
 */
public final class MailSettings {

    /** Internal: set to the authenticator bean reference only when a user is configured. */
    public static final String AUTHENTICATOR_PROPERTY = "icws.internal.email-authenticator";

    private static final Logger LOG = LoggerFactory.getLogger(MailSettings.class);

    private MailSettings() {
    }

    /** Greets the SMTP server once (the start-up check): connect, EHLO, STARTTLS when asked, quit. */
    static void check(CamelContext context, IcwsSettings.Targets targets) throws Exception {
        Properties props = new Properties();
        Properties configured = context.getRegistry().lookupByNameAndType("icwsMailProperties", Properties.class);
        if (configured != null) {
            props.putAll(configured);
        }
        props.setProperty("mail.smtp.auth", "false");
        jakarta.mail.Session session = jakarta.mail.Session.getInstance(props);
        try (jakarta.mail.Transport transport = session.getTransport("smtp")) {
            transport.connect(targets.emailHost(), targets.emailPort(), null, null);
        }
    }

    public static void bind(Registry registry, PropertiesComponent properties, Secrets secrets) {
        String user = properties.resolveProperty("icws.notify.email.username").map(String::trim).orElse("");
        String security = properties.resolveProperty("icws.notify.email.security").orElse("none")
                .trim().toLowerCase(Locale.ROOT);
        if (!user.isEmpty()) {
            String password = secrets.read("icws.notify.email.password").orElse("");
            registry.bind("icwsMailAuthenticator", new MailAuthenticator() {
                @Override
                public PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication(user, password);
                }
            });
            // The route's endpoint names the authenticator through the optional {{?…}} placeholder, so it
            // goes without one when there is no user.
            properties.addOverrideProperty(AUTHENTICATOR_PROPERTY, "#icwsMailAuthenticator");
            if (security.equals("none")) {
                LOG.warn("icws.notify.email.security=none with icws.notify.email.username set: the SMTP password "
                        + "travels in clear text. Use starttls or ssl.");
            }
        }
        Properties mail = new Properties();
        mail.setProperty("mail.smtp.auth", Boolean.toString(!user.isEmpty()));
        if (security.equals("ssl")) {
            mail.setProperty("mail.smtp.ssl.enable", "true");
            mail.setProperty("mail.smtp.ssl.checkserveridentity", "true");
        }
        if (security.equals("starttls")) {
            mail.setProperty("mail.smtp.starttls.enable", "true");
            mail.setProperty("mail.smtp.starttls.required", "true");
        }
        String timeout = Long.toString(new SettingsReader(properties::resolveProperty)
                .duration("icws.notify.email.timeout", "5s").toMillis());
        mail.setProperty("mail.smtp.connectiontimeout", timeout);
        mail.setProperty("mail.smtp.timeout", timeout);
        mail.setProperty("mail.smtp.writetimeout", timeout);
        registry.bind("icwsMailProperties", mail);
    }
}
