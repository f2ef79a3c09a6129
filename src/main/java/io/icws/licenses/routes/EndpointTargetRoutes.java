package io.icws.licenses.routes;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.icws.licenses.IcwsBindings;
import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.config.IcwsSettings.EndpointTarget;
import io.icws.licenses.config.InvalidSettingException;
import org.apache.camel.CamelContext;
import org.apache.camel.NoSuchEndpointException;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.model.Model;
import org.apache.camel.spi.RouteTemplateParameterSource;
import org.apache.camel.util.URISupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route from the template {@code icws-endpoint-target} per endpoint target the settings name
 * ({@code icws.notify.endpoints=<name>,…}, {@code icws.notify.endpoints.<name>.*}), route id {@code notify-<name>}.
 * Works as {@link IcwsConnectionRoutes} does, whichever is added first: targets whose template is not loaded yet
 * are made when it is, at the latest when the context initialises (a {@link RouteTemplateParameterSource}, which
 * {@link IcwsBindings} binds whenever it binds the shared beans, so the YAML routes need nothing more); a target
 * that already has its route (a {@code templatedRoute} of your own) is left alone.
 *
 * <p>Before a route is made its URI is resolved and Camel makes its endpoint: an unknown scheme (its component's
 * jar missing) or a bad option stops start-up with one line naming {@code icws.notify.endpoints.<name>.uri}. The
 * route gets the URI as the placeholder of its key, so the resolved URI (which may hold a secret) is in no
 * route model or template parameter; our log lines show it as written in the settings, placeholders unresolved,
 * through {@link URISupport#sanitizeUri(String)}. An http(s) endpoint gets the connect and response time-outs of
 * the settings unless its URI gives them.
 */
public class EndpointTargetRoutes extends RouteBuilder {

    /** Registry name of the source that makes the missing targets' routes when the context initialises. */
    public static final String SOURCE_BEAN = "icws-endpoint-targets";

    private static final Logger LOG = LoggerFactory.getLogger(EndpointTargetRoutes.class);
    private static final String MISSING_TEMPLATE = "The route template " + EndpointTargetTemplate.TEMPLATE
            + " is not loaded: add the YAML routes (classpath:icws/routes/*.yaml) or new EndpointTargetTemplate() to "
            + "the CamelContext";
    private static final Pattern UNKNOWN_OPTIONS = Pattern.compile("Unknown parameters=\\[\\{(.*)}]");
    private static final Set<String> HTTP_SCHEMES = Set.of("http", "https");

    @Override
    public void addRoutesToCamelContext(CamelContext context) throws Exception {
        IcwsBindings.bind(context); // binds the source too: the routes come when the template is there
        addTargets(context);
    }

    @Override
    public void addTemplatedRoutesToCamelContext(CamelContext context) throws Exception {
        addTargets(context);
    }

    @Override
    public void configure() {
        // the routes come from the template, one per endpoint target (addTargets)
    }

    /**
     * Binds the source that makes the endpoint targets' routes from the template when the context initialises,
     * once per context; called by {@link IcwsBindings#bind(CamelContext)}.
     */
    public static void register(CamelContext context, IcwsSettings settings) {
        if (!settings.targets().endpoints().isEmpty()
                && context.getRegistry().lookupByName(SOURCE_BEAN) == null) {
            context.getRegistry().bind(SOURCE_BEAN, RouteTemplateParameterSource.class, new MissingTargets(context));
        }
    }

    /** The route id of an endpoint target. */
    public static String routeId(String name) {
        return "notify-" + name;
    }

    /** Makes the missing targets' routes; false while the template is not there yet. */
    private static synchronized boolean addTargets(CamelContext context) throws Exception {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        if (model.getRouteTemplateDefinition(EndpointTargetTemplate.TEMPLATE) == null) {
            return false;
        }
        for (EndpointTarget target : IcwsBindings.bind(context).targets().endpoints()) {
            if (model.getRouteDefinition(routeId(target.name())) == null) {
                TemplatedRouteBuilder builder = TemplatedRouteBuilder.builder(context, EndpointTargetTemplate.TEMPLATE)
                        .routeId(routeId(target.name()));
                parameters(context, target).forEach(builder::parameter);
                builder.add();
            }
        }
        return true;
    }

    /**
     * The template parameters of a target, once Camel has shown it can make its endpoint.
     *
     * @throws InvalidSettingException naming {@code icws.notify.endpoints.<name>.uri} when it cannot
     */
    static Map<String, Object> parameters(CamelContext context, EndpointTarget target) {
        String key = target.uriKey();
        String shown = asWritten(context, key);
        String resolved;
        try {
            resolved = context.resolvePropertyPlaceholders("{{" + key + "}}").trim();
        } catch (RuntimeException e) {
            throw new InvalidSettingException(key, "its placeholders cannot be resolved: " + e.getMessage());
        }
        int colon = resolved.indexOf(':');
        if (colon <= 0) {
            throw new InvalidSettingException(key, "is not a Camel endpoint URI (scheme:…)");
        }
        String scheme = resolved.substring(0, colon).toLowerCase(Locale.ROOT);
        String options = HTTP_SCHEMES.contains(scheme) ? httpTimeouts(resolved, target) : "";
        try {
            context.getEndpoint(resolved + options);
        } catch (NoSuchEndpointException e) {
            throw new InvalidSettingException(key, "Camel has no component for the scheme '" + scheme
                    + ":' (is its jar, e.g. camel-" + scheme + ", on the classpath?)");
        } catch (RuntimeException e) {
            // the URI is not repeated: an option's value may be a secret
            throw new InvalidSettingException(key, "Camel cannot make the " + scheme + ": endpoint: "
                    + reason(e, resolved, scheme + ":…"));
        }
        LOG.info("Target {}: {} ({}, changes {}{})", target.name(), shown,
                target.cloudEventsMode().name().toLowerCase(Locale.ROOT), target.changesText(),
                options.isEmpty() ? "" : ", connect time-out " + target.connectTimeout().toMillis()
                        + " ms, response time-out " + target.responseTimeout().toMillis() + " ms");
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("name", target.name());
        // the placeholder, not its value: Camel resolves it when it makes the route
        parameters.put("uri", "{{" + key + "}}" + options);
        parameters.put("changes", target.changesText());
        parameters.put("cloudEventsMode", target.cloudEventsMode().name().toLowerCase(Locale.ROOT));
        parameters.put("maximumRedeliveries", Integer.toString(target.attempts()));
        parameters.put("redeliveryDelay", Long.toString(target.initialDelay().toMillis()));
        parameters.put("maximumRedeliveryDelay", Long.toString(target.maxDelay().toMillis()));
        return parameters;
    }

    /** The time-out options an http(s) URI does not give itself, to append to it ("" when it gives them all). */
    private static String httpTimeouts(String uri, EndpointTarget target) {
        Map<String, Long> wanted = new LinkedHashMap<>();
        wanted.put("connectTimeout", target.connectTimeout().toMillis());
        wanted.put("connectionRequestTimeout", target.connectTimeout().toMillis());
        wanted.put("responseTimeout", target.responseTimeout().toMillis());
        int q = uri.indexOf('?');
        String query = q < 0 ? "" : uri.substring(q + 1);
        StringBuilder options = new StringBuilder();
        for (Map.Entry<String, Long> option : wanted.entrySet()) {
            if (!Pattern.compile("(^|&)" + option.getKey() + "=").matcher(query).find()) {
                options.append(options.isEmpty() && q < 0 ? '?' : '&').append(option.getKey()).append('=')
                        .append(option.getValue());
            }
        }
        return options.toString();
    }

    /**
     * The URI as the settings give it, placeholders unresolved, through Camel's sanitizer (which masks the values
     * of secret options and a password in the user info); only the scheme when the value comes from a source
     * Camel cannot list (the environment).
     */
    static String asWritten(CamelContext context, String key) {
        String raw = context.getPropertiesComponent().loadProperties(k -> k.equals(key)).getProperty(key);
        if (raw == null) {
            raw = System.getProperty(key);
        }
        if (raw != null) {
            return URISupport.sanitizeUri(raw.trim());
        }
        String resolved = context.getPropertiesComponent().resolveProperty(key).orElse("").trim();
        int colon = resolved.indexOf(':');
        return colon > 0 ? resolved.substring(0, colon) + ":…" : "…";
    }

    /** Why Camel could not make the endpoint, without the resolved URI or any option's value. */
    private static String reason(RuntimeException e, String resolved, String shown) {
        String message = e instanceof ResolveEndpointFailedException && e.getCause() != null
                && e.getCause().getMessage() != null ? e.getCause().getMessage() : String.valueOf(e.getMessage());
        int dueTo = message.indexOf(" due to: ");
        if (e instanceof ResolveEndpointFailedException && dueTo >= 0) {
            message = message.substring(dueTo + " due to: ".length());
        }
        Matcher unknown = UNKNOWN_OPTIONS.matcher(message);
        if (unknown.find()) {
            Set<String> names = new LinkedHashSet<>();
            for (String pair : unknown.group(1).split(", ")) {
                int eq = pair.indexOf('=');
                names.add(eq < 0 ? pair : pair.substring(0, eq));
            }
            return "unknown option(s) " + String.join(", ", names) + " (see the component's documentation)";
        }
        return message.replace(resolved, shown).replace(URISupport.sanitizeUri(resolved), shown);
    }

    /** The endpoint targets without a route yet, for Camel to make from the template while it initialises. */
    private record MissingTargets(CamelContext context) implements RouteTemplateParameterSource {

        @Override
        public Set<String> routeIds() {
            Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
            Set<String> missing = new LinkedHashSet<>();
            for (EndpointTarget target : settings().targets().endpoints()) {
                if (model.getRouteDefinition(routeId(target.name())) == null) {
                    missing.add(routeId(target.name()));
                }
            }
            if (!missing.isEmpty() && model.getRouteTemplateDefinition(EndpointTargetTemplate.TEMPLATE) == null) {
                throw new IllegalStateException(MISSING_TEMPLATE);
            }
            return missing;
        }

        @Override
        public Map<String, Object> parameters(String routeId) {
            String name = routeId.substring("notify-".length());
            EndpointTarget target = settings().targets().endpoints().stream()
                    .filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("No endpoint target " + name));
            Map<String, Object> parameters = new LinkedHashMap<>(EndpointTargetRoutes.parameters(context, target));
            parameters.put(TEMPLATE_ID, EndpointTargetTemplate.TEMPLATE);
            return parameters;
        }

        private IcwsSettings settings() {
            return IcwsBindings.bound(context);
        }
    }
}
