package io.icws.licenses.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import io.icws.licenses.IcwsBindings;
import io.icws.licenses.IcwsConfiguration;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.routes.IcwsLicenseRoutes;
import io.icws.licenses.simulator.SimulatorCommand;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * The jar's command line. With no sub-command it runs the license routes on camel-main, in the DSL that
 * {@code icws.dsl} names, with the jar's own runtime ({@link JarRuntime}: built-in simulator, embedded broker,
 * health over HTTP); {@code simulator} runs the built-in ICWS simulator; {@code replay} sends dead letters
 * again.
 */
public final class IcwsLicenseRoutesApplication {

    /**
     * Where camel-main reads settings: the top-level config/ folder (when run from the project, or a folder
     * holding one), then the jar's copy of it, with every default.
     */
    static final String PROPERTY_LOCATIONS =
            "file:config/application.properties;optional=true,classpath:" + IcwsBindings.DEFAULTS;

    private IcwsLicenseRoutesApplication() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("simulator")) {
            // its own logging (to stderr: stdout carries only the URL line)
            SimulatorCommand.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("replay")) {
            System.exit(ReplayCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
            return;
        }
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            System.out.println("""
                    Usage: java -jar icws-license-routes.jar [simulator [options] | replay [options]]
                      (no command)  run the ICWS license routes; settings in config/application.properties,
                                    -Dicws.…=… or environment variables (ICWS_…)
                      simulator     run the built-in ICWS simulator (simulator --help for its options)
                      replay        send dead letters again to the target that refused them (replay --help)""");
            return;
        }
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "icws/logback.xml");
        }
        Main main = createMain();
        int code;
        try {
            code = main.run(args);
        } catch (Exception e) {
            // One line a person can act on; the simulator, broker and Camel threads must not keep us alive.
            System.err.println("ICWS license routes did not start: " + startupProblem(e));
            code = 1;
        }
        System.exit(code);
    }

    /** camel-main with the jar's runtime, the settings checked and the routes of the chosen DSL added. */
    public static Main createMain() {
        Main main = new Main();
        main.setDefaultPropertyPlaceholderLocation(PROPERTY_LOCATIONS);
        ObserveRuntime.defaults(main);
        main.configure().addConfiguration(JarRuntime.class);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                String dsl = support.getCamelContext().getPropertiesComponent().resolveProperty("icws.dsl")
                        .orElse("yaml").trim().toLowerCase(Locale.ROOT);
                String examples = exampleRoutes(support.getCamelContext().getPropertiesComponent()
                        .resolveProperty("icws.routes.examples").orElse(""));
                switch (dsl) {
                    case "java" -> {
                        support.configure().addRoutesBuilder(new IcwsLicenseRoutes());
                        if (!examples.isEmpty()) {
                            support.configure().withRoutesIncludePattern(examples);
                        }
                    }
                    case "yaml" -> {
                        support.configure().addConfiguration(IcwsConfiguration.class);
                        support.configure().withRoutesIncludePattern(
                                yamlRoutes() + (examples.isEmpty() ? "" : "," + examples));
                    }
                    default -> throw new InvalidSettingException("icws.dsl", "'" + dsl + "' is not one of yaml, java");
                }
            }
        });
        return main;
    }

    /** The setting that stopped startup, or the deepest cause, as one line. */
    static String startupProblem(Throwable failure) {
        Throwable deepest = failure;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InvalidSettingException) {
                return t.getMessage();
            }
            deepest = t;
        }
        return deepest.getClass().getSimpleName() + ": " + deepest.getMessage();
    }

    /**
     * The example routes {@code icws.routes.examples} names (routes/examples/&lt;name&gt;.yaml, in the jar
     * icws/examples/&lt;name&gt;.yaml: never loaded by the default patterns), as include patterns; "" for none.
     *
     * @throws InvalidSettingException naming the setting for a name without an example
     */
    static String exampleRoutes(String names) {
        boolean project = Files.isDirectory(Path.of("routes"));
        java.util.List<String> patterns = new java.util.ArrayList<>();
        for (String part : names.split(",")) {
            String name = part.trim();
            if (name.isEmpty()) {
                continue;
            }
            // the jar keeps them in icws/examples/, beside icws/routes/ (see the pom)
            String file = name + ".yaml";
            boolean exists = name.matches("[a-z0-9][a-z0-9-]*")
                    && (project ? Files.isRegularFile(Path.of("routes", "examples", file))
                    : IcwsLicenseRoutesApplication.class.getClassLoader().getResource("icws/examples/" + file) != null);
            if (!exists) {
                throw new InvalidSettingException("icws.routes.examples", "'" + name + "' is not an example route "
                        + "(routes/examples/<name>.yaml: chat-webhook, kafka)");
            }
            patterns.add(project ? "file:routes/examples/" + file : "classpath:icws/examples/" + file);
        }
        return String.join(",", patterns);
    }

    /** The routes/ folder when run from the project; the jar's copy anywhere else. */
    static String yamlRoutes() {
        return Files.isDirectory(Path.of("routes")) ? "file:routes/*.yaml" : "classpath:icws/routes/*.yaml";
    }
}
