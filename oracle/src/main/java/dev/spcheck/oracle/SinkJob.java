package dev.spcheck.oracle;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.CompiledPlan;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SQL job of the sink-materializer files (Oracle --sink-files): one aggregate written into a sink whose
 * primary key is not the query's upsert key, so that the planner puts the sink's upsert materializer before
 * it. Each variant chooses the materializer Flink runs: the strategy of table.exec.sink.upsert-materialize-strategy.type
 * (Flink 2.2+: LEGACY, VALUE, MAP, ADAPTIVE), the INSERT's ON CONFLICT clause (Flink 2.3+: DEDUPLICATE, ERROR,
 * NOTHING) and a state TTL. {@code --variant NAME --plan FILE}: compiles the plan, writes it to FILE and
 * executes it.
 */
public final class SinkJob {

    /** A variant: the strategy (null: left at its default), the ON CONFLICT behaviour (null: none), the TTL. */
    record Variant(String strategy, String conflict, boolean ttl) {}

    /** The variants on Flink 2.3, by name (2.3 wants ON CONFLICT where the upsert key is not the key). */
    static final Map<String, Variant> V23 = new TreeMap<>(Map.of(
            "deduplicate", new Variant(null, "DEDUPLICATE", false),
            "deduplicate-ttl", new Variant(null, "DEDUPLICATE", true),
            "deduplicate-value", new Variant("VALUE", "DEDUPLICATE", false),
            "deduplicate-map", new Variant("MAP", "DEDUPLICATE", false),
            "deduplicate-map-ttl", new Variant("MAP", "DEDUPLICATE", true),
            "deduplicate-adaptive", new Variant("ADAPTIVE", "DEDUPLICATE", false),
            "error", new Variant(null, "ERROR", false),
            "nothing", new Variant(null, "NOTHING", false),
            "nothing-ttl", new Variant(null, "NOTHING", true)));

    /** The variants on Flink 2.2 (no ON CONFLICT yet). */
    static final Map<String, Variant> V22 = new TreeMap<>(Map.of(
            "legacy", new Variant(null, null, false),
            "legacy-ttl", new Variant(null, null, true),
            "value", new Variant("VALUE", null, false),
            "map", new Variant("MAP", null, false),
            "map-ttl", new Variant("MAP", null, true),
            "adaptive", new Variant("ADAPTIVE", null, false)));

    /** The variants of a Flink version: none before 2.2, which has one materializer only. */
    static Map<String, Variant> variants(String flinkVersion) {
        String[] v = flinkVersion.split("\\.");
        int major = Integer.parseInt(v[0]), minor = Integer.parseInt(v[1]);
        if (major < 2 || major == 2 && minor < 2) return Map.of();
        return major == 2 && minor == 2 ? V22 : V23;
    }

    public static void main(String[] args) throws Exception {
        String name = null;
        Path planFile = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--variant")) name = args[i + 1];
            else if (args[i].equals("--plan")) planFile = Path.of(args[i + 1]);
        }
        String version = org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
        Variant v = variants(version).get(name);
        if (v == null || planFile == null) throw new IllegalArgumentException("usage: SinkJob --variant NAME --plan FILE (variants on " + version + ": " + variants(version).keySet() + ")");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        if (v.strategy() != null) t.getConfig().set("table.exec.sink.upsert-materialize-strategy.type", v.strategy());
        if (v.ttl()) t.getConfig().set("table.exec.state.ttl", "1 h");
        // the ON CONFLICT behaviours ERROR and NOTHING need watermarks on every source
        t.executeSql("CREATE TABLE clicks (user_id BIGINT, amount INT, ts AS LOCALTIMESTAMP, WATERMARK FOR ts AS ts) WITH ("
                + "'connector' = 'datagen', 'rows-per-second' = '20', 'fields.user_id.min' = '0', 'fields.user_id.max' = '9',"
                + " 'fields.amount.min' = '0', 'fields.amount.max' = '99')");
        // blackhole takes every change but UPDATE_BEFORE: an upsert sink
        t.executeSql("CREATE TABLE totals (user_id BIGINT, label STRING, total INT, PRIMARY KEY (user_id) NOT ENFORCED)"
                + " WITH ('connector' = 'blackhole')");
        // the upsert key is (user_id, label), which the key (user_id) does not contain; label depends on user_id
        // alone, so that no two rows conflict (ERROR would fail the job)
        String insert = "INSERT INTO totals SELECT user_id, label, SUM(amount) FROM"
                + " (SELECT user_id, CAST(user_id AS STRING) AS label, amount FROM clicks) GROUP BY user_id, label"
                + (v.conflict() != null ? " ON CONFLICT DO " + v.conflict() : "");
        StatementSet set = t.createStatementSet();
        set.addInsertSql(insert);
        CompiledPlan plan = set.compilePlan();
        Files.createDirectories(planFile.getParent());
        Files.writeString(planFile, plan.asJsonString());
        plan.execute();
    }
}
