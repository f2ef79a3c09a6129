package io.icws.licenses.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The figures of one run, collected by every measurement and written at the end: a Markdown table
 * ({@code results.md}, also printed) and the raw figures as JSON ({@code results.json}).
 */
final class BenchResults {

    /** One figure. {@code value} null: not measured (see {@code note}). */
    record Row(String section, String measurement, String setup, String figure, Double value, int decimals,
               String unit, String note) {

        String valueText() {
            return value == null ? "—" : String.format(Locale.ROOT, "%." + decimals + "f", value);
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private final Map<String, Object> raw = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final ZonedDateTime started = ZonedDateTime.now();
    private volatile long finishedNanos;
    private final long startedNanos = System.nanoTime();

    synchronized void add(String section, String measurement, String setup, String figure, Double value,
                          int decimals, String unit, String note) {
        rows.add(new Row(section, measurement, setup, figure, value, decimals, unit, note == null ? "" : note));
    }

    synchronized void raw(String key, Object value) {
        raw.put(key, value);
    }

    synchronized void note(String note) {
        notes.add(note);
    }

    synchronized void problem(String problem) {
        problems.add(problem);
    }

    synchronized void machine(Map<String, Object> m) {
        machine.putAll(m);
    }

    synchronized void settings(Map<String, Object> s) {
        settings.putAll(s);
    }

    synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    synchronized String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# ICWS license routes — benchmark\n\n");
        b.append("Run ").append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        if (finishedNanos != 0) {
            b.append(String.format(Locale.ROOT, ", took %.0f s", (finishedNanos - startedNanos) / 1e9));
        }
        b.append(". Figures, not pass/fail: nothing here is asserted.\n\n");
        b.append("## Machine\n\n| | |\n|---|---|\n");
        machine.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(cell(String.valueOf(v))).append(" |\n"));
        b.append("\n## Settings\n\n| setting | value |\n|---|---|\n");
        settings.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(cell(String.valueOf(v))).append(" |\n"));
        b.append("\n## Results\n\n| # | measurement | set-up | figure | value | unit | notes |\n");
        b.append("|---|---|---|---|---:|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.section).append(" | ").append(cell(r.measurement)).append(" | ")
                    .append(cell(r.setup)).append(" | ").append(cell(r.figure)).append(" | ").append(r.valueText())
                    .append(" | ").append(cell(r.unit)).append(" | ").append(cell(r.note)).append(" |\n");
        }
        if (!notes.isEmpty()) {
            b.append("\n## How it was measured\n\n");
            notes.forEach(n -> b.append("- ").append(n).append('\n'));
        }
        b.append("\n## Problems seen\n\n");
        if (problems.isEmpty()) {
            b.append("- none\n");
        } else {
            problems.forEach(p -> b.append("- ").append(p).append('\n'));
        }
        return b.toString();
    }

    synchronized Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("started", started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        m.put("durationSeconds", finishedNanos == 0 ? null : (finishedNanos - startedNanos) / 1e9);
        m.put("machine", machine);
        m.put("settings", settings);
        List<Map<String, Object>> figures = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("section", r.section);
            f.put("measurement", r.measurement);
            f.put("setup", r.setup);
            f.put("figure", r.figure);
            f.put("value", r.value);
            f.put("unit", r.unit);
            f.put("note", r.note);
            figures.add(f);
        }
        m.put("figures", figures);
        m.put("raw", raw);
        m.put("notes", notes);
        m.put("problems", problems);
        return m;
    }

    /** Writes results.md and results.json into the folder and prints the table. */
    void write(Path dir) throws IOException {
        finishedNanos = System.nanoTime();
        Files.createDirectories(dir);
        String md = markdown();
        Files.writeString(dir.resolve("results.md"), md, StandardCharsets.UTF_8);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("results.json").toFile(), json());
        System.out.println();
        System.out.println(md);
        System.out.println("(written to " + dir.resolve("results.md") + " and " + dir.resolve("results.json") + ")");
    }

    private static String cell(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    // ------------------------------------------------------------------------------------------ statistics

    /** Nearest-rank percentile of the values (p in 0..100). */
    static double percentile(double[] values, double p) {
        double[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }

    static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
