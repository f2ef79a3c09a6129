package io.icws.licenses.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.CatchDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.model.RouteConfigurationsDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.RouteTemplateDefinition;
import org.apache.camel.model.RouteTemplatesDefinition;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.model.TryDefinition;
import org.apache.camel.spi.ModelToXMLDumper;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One behaviour, two DSLs, shown by Camel itself: the route model built from the YAML files in {@code routes/}
 * and the one built from the Java DSL are dumped by Camel's own model dumper and must be the same —
 * route configurations, the route template and the routes — so the DSLs cannot drift where no behaviour test
 * looks. Only what Camel makes up by itself (node ids it assigns, source locations) is left out.
 */
class DslParityTest {

    @Test
    void theYamlAndTheJavaRoutesAreTheSameModel() throws Exception {
        String yaml;
        try (CamelContext context = new DefaultCamelContext()) {
            try (Stream<Path> files = Files.list(Path.of("routes"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                    PluginHelper.getRoutesLoader(context).loadRoutes(
                            ResourceHelper.resolveResource(context, "file:" + file));
                }
            }
            yaml = dump(context);
        }
        String java;
        try (CamelContext context = new DefaultCamelContext()) {
            new IcwsErrorHandling().addRouteConfigurationsToCamelContext(context);
            context.addRoutes(new LicenseWatchTemplate());
            context.addRoutes(new TargetRoutes());
            context.addRoutes(new EndpointTargetTemplate());
            java = dump(context);
        }

        assertThat(java).isEqualTo(yaml);
        assertThat(yaml).contains("icws-license-watch", "icws-endpoint-target", "notify-file", "notify-jms", "notify-email", "notify-log",
                "dead-letter-replay", "icws-target", "icws-replay");
    }

    /** The whole model as Camel dumps it, each part sorted by id, without what Camel makes up by itself. */
    private static String dump(CamelContext context) throws Exception {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        ModelToXMLDumper dumper = PluginHelper.getModelToXMLDumper(context);
        List<String> parts = new ArrayList<>();

        List<RouteConfigurationDefinition> configurations = new ArrayList<>(model.getRouteConfigurationDefinitions());
        configurations.sort(Comparator.comparing(RouteConfigurationDefinition::getId));
        RouteConfigurationsDefinition allConfigurations = new RouteConfigurationsDefinition();
        allConfigurations.setRouteConfigurations(configurations);
        parts.add(dumper.dumpModelAsXml(context, allConfigurations, false, false, false));

        List<RouteTemplateDefinition> templates = new ArrayList<>(model.getRouteTemplateDefinitions());
        templates.sort(Comparator.comparing(RouteTemplateDefinition::getId));
        // the YAML loader keeps a template bean's constructor indexes as text; the dumper wants numbers
        for (RouteTemplateDefinition template : templates) {
            for (var bean : template.getTemplateBeans()) {
                if (bean.getConstructors() != null) {
                    java.util.Map<Integer, Object> byIndex = new java.util.TreeMap<>();
                    ((java.util.Map<?, ?>) bean.getConstructors()).forEach((k, v) -> byIndex.put(Integer.valueOf(String.valueOf(k)), v));
                    bean.setConstructors(byIndex);
                }
            }
        }
        templates.forEach(t -> catchClausesAsOutputs(t.getRoute().getOutputs()));
        RouteTemplatesDefinition allTemplates = new RouteTemplatesDefinition();
        allTemplates.setRouteTemplates(templates);
        parts.add(dumper.dumpModelAsXml(context, allTemplates, false, false, false));

        List<RouteDefinition> routes = new ArrayList<>(model.getRouteDefinitions());
        routes.sort(Comparator.comparing(RouteDefinition::getId));
        routes.forEach(r -> catchClausesAsOutputs(r.getOutputs()));
        RoutesDefinition allRoutes = new RoutesDefinition();
        allRoutes.setRoutes(routes);
        parts.add(dumper.dumpModelAsXml(context, allRoutes, false, false, false));

        List<String> normalized = new ArrayList<>();
        for (String part : parts) {
            normalized.add(normalize(part));
        }
        return String.join("\n", normalized);
    }

    /**
     * The YAML loader keeps a doTry's doCatch clauses beside its steps, the Java DSL among them (which is
     * where the dumper looks); both end up the same at run time. Puts them among the steps.
     */
    private static void catchClausesAsOutputs(List<ProcessorDefinition<?>> outputs) {
        for (ProcessorDefinition<?> output : outputs) {
            if (output instanceof TryDefinition doTry && doTry.getCatchClauses() != null) {
                for (CatchDefinition doCatch : doTry.getCatchClauses()) {
                    if (!doTry.getOutputs().contains(doCatch)) {
                        doTry.getOutputs().add(doCatch);
                    }
                }
            }
            catchClausesAsOutputs(output.getOutputs());
        }
    }

    /** Endpoint options in one order: how a DSL writes them does not change the endpoint. */
    private static String normalize(String xml) {
        Matcher m = URI.matcher(xml);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String uri = m.group(1);
            int q = uri.indexOf('?');
            if (q > 0) {
                List<String> options = new ArrayList<>(List.of(uri.substring(q + 1).split("&amp;")));
                options.sort(null);
                uri = uri.substring(0, q + 1) + String.join("&amp;", options);
            }
            m.appendReplacement(b, Matcher.quoteReplacement("uri=\"" + uri + "\""));
        }
        m.appendTail(b);
        return b.toString().strip();
    }

    private static final Pattern URI = Pattern.compile("uri=\"([^\"]*)\"");
}
