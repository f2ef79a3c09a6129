package io.icws.it.camelmaincluster;

import org.apache.camel.main.Main;

/**
 * A team's camel-main application with replicas: {@code application.properties} binds the cluster service
 * ({@code camel.beans.cluster=#class:…FileLockClusterService}) that decides which replica runs the ICWS routes; the
 * server and the password come from the environment ({@code ICWS_SERVER}, {@code ICWS_PASSWORD}) or {@code -D}.
 */
public final class HostApplication {

    private HostApplication() {
    }

    public static void main(String[] args) throws Exception {
        new Main().run(args);
    }
}
