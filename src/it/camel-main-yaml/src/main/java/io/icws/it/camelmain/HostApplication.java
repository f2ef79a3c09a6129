package io.icws.it.camelmain;

import org.apache.camel.main.Main;

/**
 * A team's camel-main application: everything the ICWS routes need is in {@code application.properties}
 * (the YAML routes from the jar and {@code io.icws.licenses.IcwsConfiguration}); the server and the password
 * come from the environment ({@code ICWS_SERVER}, {@code ICWS_PASSWORD}) or {@code -D}.
 */
public final class HostApplication {

    private HostApplication() {
    }

    public static void main(String[] args) throws Exception {
        new Main().run(args);
    }
}
