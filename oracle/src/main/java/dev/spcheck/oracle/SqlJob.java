package dev.spcheck.oracle;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.CompiledPlan;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The oracle's SQL job: one statement set over two datagen tables with a regular join, a group aggregate, a
 * tumbling window aggregate, an OVER aggregate, deduplication and top-N, into blackhole sinks. It compiles the
 * statement set to a plan and executes the plan (COMPILE PLAN / EXECUTE PLAN, the way Flink keeps SQL operator
 * uids stable: table.exec.uid.generation PLAN_ONLY). {@code --edit NAME} applies one of {@link #EDITS}.
 */
public final class SqlJob {

    /** Every edit the SQL job knows. */
    public static final String[] EDITS = {
        "remove-topn", "remove-join", "add-query", "agg-add-column", "agg-filter",
        "amount-bigint", "window-size", "dedup-last", "topn-5", "state-ttl", "parallelism-4",
    };

    public static void main(String[] args) throws Exception {
        Set<String> e = CatalogueJob.edits(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        if (e.contains("state-ttl")) t.getConfig().set("table.exec.state.ttl", "1 h");
        if (e.contains("parallelism-4")) t.getConfig().set("table.exec.resource.default-parallelism", "4");
        // SqlAsyncJob: the operators of the asynchronous state API (Flink 2.x)
        if (e.contains("async-state")) t.getConfig().set("table.exec.async-state.enabled", "true");
        for (String s : statements(e)) t.executeSql(s);
        StatementSet set = t.createStatementSet();
        for (String s : inserts(e)) set.addInsertSql(s);
        CompiledPlan plan = set.compilePlan();
        plan.execute();
    }

    static List<String> statements(Set<String> e) {
        String amount = e.contains("amount-bigint") ? "BIGINT" : "INT";
        List<String> s = new ArrayList<>();
        s.add("CREATE TABLE clicks (user_id BIGINT, url STRING, amount " + amount + ", ts AS PROCTIME()) WITH ("
                + "'connector' = 'datagen', 'rows-per-second' = '5', 'fields.user_id.min' = '0', 'fields.user_id.max' = '4',"
                + " 'fields.url.length' = '3', 'fields.amount.min' = '0', 'fields.amount.max' = '99')");
        s.add("CREATE TABLE users (user_id BIGINT, name STRING) WITH ("
                + "'connector' = 'datagen', 'rows-per-second' = '1', 'fields.user_id.min' = '0', 'fields.user_id.max' = '4',"
                + " 'fields.name.length' = '3')");
        String sumType = e.contains("amount-bigint") ? "BIGINT" : "INT";
        s.add("CREATE TABLE agg_out (user_id BIGINT, cnt BIGINT, total " + sumType
                + (e.contains("agg-add-column") ? ", top " + sumType : "") + ") WITH ('connector' = 'blackhole')");
        s.add("CREATE TABLE join_out (user_id BIGINT, name STRING, amount " + amount + ") WITH ('connector' = 'blackhole')");
        s.add("CREATE TABLE window_out (user_id BIGINT, window_start TIMESTAMP(3), cnt BIGINT) WITH ('connector' = 'blackhole')");
        s.add("CREATE TABLE over_out (user_id BIGINT, amount " + amount + ", recent " + sumType + ") WITH ('connector' = 'blackhole')");
        s.add("CREATE TABLE dedup_out (user_id BIGINT, url STRING) WITH ('connector' = 'blackhole')");
        s.add("CREATE TABLE topn_out (user_id BIGINT, amount " + amount + ", rn BIGINT) WITH ('connector' = 'blackhole')");
        s.add("CREATE TABLE extra_out (url STRING, cnt BIGINT) WITH ('connector' = 'blackhole')");
        return s;
    }

    static List<String> inserts(Set<String> e) {
        List<String> s = new ArrayList<>();
        s.add("INSERT INTO agg_out SELECT user_id, COUNT(*), SUM(amount)" + (e.contains("agg-add-column") ? ", MAX(amount)" : "")
                + " FROM clicks" + (e.contains("agg-filter") ? " WHERE amount > 10" : "") + " GROUP BY user_id");
        if (!e.contains("remove-join")) {
            s.add("INSERT INTO join_out SELECT c.user_id, u.name, c.amount FROM clicks AS c JOIN users AS u ON c.user_id = u.user_id");
        }
        String size = e.contains("window-size") ? "2" : "1";
        s.add("INSERT INTO window_out SELECT user_id, window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '"
                + size + "' HOUR)) GROUP BY user_id, window_start, window_end");
        s.add("INSERT INTO over_out SELECT user_id, amount, SUM(amount) OVER (PARTITION BY user_id ORDER BY ts"
                + " ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM clicks");
        s.add("INSERT INTO dedup_out SELECT user_id, url FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts "
                + (e.contains("dedup-last") ? "DESC" : "ASC") + ") AS rn FROM clicks) WHERE rn = 1");
        if (!e.contains("remove-topn")) {
            s.add("INSERT INTO topn_out SELECT user_id, amount, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC)"
                    + " AS rn FROM clicks) WHERE rn <= " + (e.contains("topn-5") ? "5" : "3"));
        }
        if (e.contains("add-query")) {
            s.add("INSERT INTO extra_out SELECT url, COUNT(*) FROM clicks GROUP BY url");
        }
        return s;
    }
}
