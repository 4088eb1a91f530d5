package dev.spcheck.oracle;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

import java.util.Set;

/**
 * The oracle's job for unaligned checkpoints: a rate-limited source feeds, over a rebalance, a map ("Slow"),
 * which feeds, over a keyBy, a slow keyed counter ("Count") and a sink. Count backpressures both exchanges, so a checkpoint (unaligned, always) holds in-flight data: the source's and Slow's output
 * buffers (result subpartition state) and Slow's and Count's input buffers (input channel state).
 * {@code --edit NAME} applies one of {@link #EDITS}: the parallelism and partitioner changes a user makes
 * between restores, which decide how Flink redistributes that data. The oracle turns unaligned checkpoints on
 * in the job's configuration (Oracle.jobConf), as a user does in flink-conf.
 */
public final class UnalignedJob {

    /** The states the job declares (Oracle.states' shape), under every edit. */
    static java.util.Map<String, java.util.List<String[]>> states() {
        return java.util.Map.of("Count", java.util.List.<String[]>of(new String[] {"count", "value", "true", "Long keyed by Long", null}),
                "Enrich", java.util.List.<String[]>of(new String[] {"rules", "broadcast", "false", "Map<Long, String>", null}));
    }

    public static final String[] EDITS = {
        "parallelism-slow-3", "parallelism-slow-1", "parallelism-count-3", "parallelism-enrich-3", "parallelism-job-3",
        "rescale-slow", "rescale-slow-3", "rescale-slow-1", "broadcast-slow", "broadcast-slow-3", "shuffle-slow-3",
        "global-slow-1", "forward-slow", "forward-slow-unchained", "parallelism-source-1", "rescale-source-1",
        "add-rescaled-input-slow", "add-rescaled-input-slow-3", "remove-slow", "rename-uid-slow", "insert-after-slow", "insert-after-slow-rebalance",
        "disable-chaining",
    };

    public static void main(String[] args) throws Exception {
        Set<String> e = CatalogueJob.edits(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (e.contains("disable-chaining")) env.disableOperatorChaining();
        if (e.contains("parallelism-job-3")) env.setParallelism(3);

        DataStream<Long> numbers = env.fromSource(
                        new DataGeneratorSource<>(new CatalogueJob.Seq(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(4000), Types.LONG),
                        WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers");
        if (e.contains("parallelism-source-1") || e.contains("rescale-source-1")) ((SingleOutputStreamOperator<Long>) numbers).setParallelism(1);
        DataStream<Long> toSlow;
        if (e.contains("rescale-slow") || e.contains("rescale-slow-3") || e.contains("rescale-slow-1") || e.contains("rescale-source-1")) toSlow = numbers.rescale();
        else if (e.contains("broadcast-slow") || e.contains("broadcast-slow-3")) toSlow = numbers.broadcast();
        else if (e.contains("shuffle-slow-3")) toSlow = numbers.shuffle();
        else if (e.contains("global-slow-1")) toSlow = numbers.global();
        else if (e.contains("forward-slow") || e.contains("forward-slow-unchained")) toSlow = numbers.forward();
        else toSlow = numbers.rebalance();
        if (e.contains("add-rescaled-input-slow") || e.contains("add-rescaled-input-slow-3")) {
            // a second input of Slow, after the first: a new source over a rescale edge
            DataStream<Long> extra = env.fromSource(
                            new DataGeneratorSource<>(new CatalogueJob.Seq(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(10), Types.LONG),
                            WatermarkStrategy.noWatermarks(), "extra")
                    .uid("extra");
            toSlow = toSlow.union(extra.rescale());
        }
        DataStream<Long> slowOut = toSlow;
        if (!e.contains("remove-slow")) {
            SingleOutputStreamOperator<Long> slow = toSlow.map(new Slow()).returns(Types.LONG)
                    .uid(e.contains("rename-uid-slow") ? "slow-v2" : "slow").name("Slow");
            if (e.contains("parallelism-slow-3") || e.contains("rescale-slow-3") || e.contains("broadcast-slow-3") || e.contains("shuffle-slow-3")
                    || e.contains("add-rescaled-input-slow-3")) slow.setParallelism(3);
            if (e.contains("forward-slow-unchained")) slow.disableChaining();
            if (e.contains("parallelism-slow-1") || e.contains("rescale-slow-1") || e.contains("global-slow-1")) slow.setParallelism(1);
            slowOut = slow;
        }

        if (e.contains("insert-after-slow") || e.contains("insert-after-slow-rebalance")) {
            // a new stateless map between Slow and the keyBy, in a task of its own (over a forward or a rebalance)
            DataStream<Long> in = e.contains("insert-after-slow-rebalance") ? slowOut.rebalance() : slowOut;
            slowOut = in.map(new CatalogueJob.Parse()).returns(Types.LONG).uid("inserted").name("Inserted").disableChaining();
        }
        SingleOutputStreamOperator<Long> count = slowOut.keyBy(new CatalogueJob.Mod(), Types.LONG)
                .process(new Count()).returns(Types.LONG).uid("count").name("Count");
        if (e.contains("parallelism-count-3")) count.setParallelism(3);

        DataStream<Long> rules = env.fromSource(
                        new DataGeneratorSource<>(new CatalogueJob.Seq(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(2), Types.LONG),
                        WatermarkStrategy.noWatermarks(), "rules")
                .uid("rules").setParallelism(1);
        BroadcastStream<Long> b = rules.broadcast(RULES);
        SingleOutputStreamOperator<Long> enrich = count.keyBy(new CatalogueJob.Mod(), Types.LONG).connect(b)
                .process(new Enrich()).returns(Types.LONG).uid("enrich").name("Enrich");
        if (e.contains("parallelism-enrich-3")) enrich.setParallelism(3);
        CatalogueJob.discard(enrich).uid("sink").name("Sink");
        env.execute("spcheck oracle unaligned job");
    }

    /** A stateless map that takes 0.1 ms a record: faster than Count, which backpressures it. */
    public static final class Slow implements MapFunction<Long, Long> {
        @Override public Long map(Long v) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            return v;
        }
    }

    /** Keyed value state "count". */
    public static final class Count extends KeyedProcessFunction<Long, Long, Long> {
        private transient ValueState<Long> count;

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            if (count == null) count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            Long c = count.value();
            count.update(c == null ? 1 : c + 1);
            out.collect(v);
        }
    }

    static final MapStateDescriptor<Long, String> RULES = new MapStateDescriptor<>("rules", Types.LONG, Types.STRING);

    /** The broadcast state pattern (keyed input and broadcast rules, broadcast state "rules"), 2 ms a record of the
     * keyed input: the job's bottleneck. */
    public static final class Enrich extends KeyedBroadcastProcessFunction<Long, Long, Long, Long> {
        @Override public void processElement(Long v, ReadOnlyContext ctx, Collector<Long> out) throws Exception {
            ctx.getBroadcastState(RULES).get(v % 5);
            Thread.sleep(2);
            out.collect(v);
        }

        @Override public void processBroadcastElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            ctx.getBroadcastState(RULES).put(v % 5, "rule " + v);
        }
    }
}
