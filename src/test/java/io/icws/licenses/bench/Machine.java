package io.icws.licenses.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The machine the figures come from, printed next to them. */
final class Machine {

    private Machine() {
    }

    static Map<String, Object> describe(Path jar) {
        Map<String, Object> m = new LinkedHashMap<>();
        String cpuinfo = readOr(Path.of("/proc/cpuinfo"), "");
        String model = cpuinfo.lines().filter(l -> l.startsWith("model name")).map(l -> l.split(":", 2)[1].trim())
                .findFirst().orElse("unknown");
        long processors = cpuinfo.lines().filter(l -> l.startsWith("processor")).count();
        m.put("CPU", model);
        m.put("cores", Runtime.getRuntime().availableProcessors() + " available to the JVM ("
                + processors + " in /proc/cpuinfo)");
        String meminfo = readOr(Path.of("/proc/meminfo"), "");
        meminfo.lines().filter(l -> l.startsWith("MemTotal:")).findFirst().ifPresent(l -> m.put("memory",
                String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0)));
        m.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vendor") + "), " + System.getProperty("java.home"));
        String os = readOr(Path.of("/etc/os-release"), "").lines().filter(l -> l.startsWith("PRETTY_NAME="))
                .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", "")).findFirst().orElse("");
        m.put("OS", (os.isEmpty() ? "" : os + ", ") + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        try {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            m.put("temporary folders", tmp + " (" + Files.getFileStore(tmp).type() + ")");
        } catch (IOException e) {
            m.put("temporary folders", System.getProperty("java.io.tmpdir"));
        }
        m.put("clock ticks per second", ProcStats.clockTicks());
        try {
            m.put("jar", jar + " (" + Files.size(jar) / 1024 + " KiB, built "
                    + Files.getLastModifiedTime(jar).toInstant() + ")");
        } catch (IOException e) {
            m.put("jar", jar.toString());
        }
        m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        return m;
    }

    private static String readOr(Path file, String fallback) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return fallback;
        }
    }
}
