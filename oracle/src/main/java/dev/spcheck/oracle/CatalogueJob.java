package dev.spcheck.oracle;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.ReduceFunction;
import org.apache.flink.api.common.state.AggregatingStateDescriptor;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ReducingStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

import java.io.Serializable;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * The oracle's catalogue job: a DataStream job with keyed state of every kind (with and without TTL),
 * timers, operator list and union list state, broadcast state, a FLIP-27 source, a Sink V2, an operator
 * without uid, chains and one slot sharing group. {@code --edit NAME} (repeatable) applies the edits a user
 * makes to the next version of such a job; {@link #EDITS} lists them. The job is run through its main method,
 * as {@code flink run} does, so that spcheck-graph extracts exactly the job graph Flink submits.
 */
public final class CatalogueJob {

    /** Every edit the job knows; the oracle's cases are built from these. */
    public static final String[] EDITS = {
        "remove-count", "remove-collections", "remove-timers", "remove-noid", "remove-buffer", "remove-enrich",
        "add-stateful", "add-stateless-before-noid", "add-stateless-end",
        "rename-uid-count", "rename-uid-count-with-hash", "rename-uid-buffer", "rename-name-count", "noid-gets-uid",
        "parallelism-count-1", "parallelism-count-4", "parallelism-noid-1",
        "maxpar-count-128", "maxpar-count-256", "maxpar-count-64", "maxpar-job-64", "maxpar-job-128",
        "break-chain-parse", "break-chain-buffer", "start-chain-buffer", "disable-chaining",
        "slot-sharing-count", "slot-sharing-noid",
        "kind-count-list", "type-count-string", "ttl-count-on", "ttl-last-off",
        "kind-history-value", "type-permap-string", "drop-state-history", "add-state-extra",
        "kind-buffer-union", "kind-offsets-list", "type-rules-long", "rename-state-count",
    };

    /** The edits that apply to the job; a job without edits is the original. */
    static final class Edits implements Serializable {
        final Set<String> on = new HashSet<>();
        boolean has(String e) { return on.contains(e); }
    }

    /** The edits {@code --edit NAME} (repeatable; {@code none}: no edit) names, for each job's main. */
    static Set<String> edits(String[] args) {
        Set<String> e = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--edit") && i + 1 < args.length) {
                if (!args[++i].equals("none")) e.add(args[i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: [--edit NAME]...");
            }
        }
        return e;
    }

    public static void main(String[] args) throws Exception {
        Edits edits = new Edits();
        edits.on.addAll(edits(args));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, edits);
        env.execute("spcheck oracle catalogue job");
    }

    static void build(StreamExecutionEnvironment env, Edits e) {
        if (e.has("disable-chaining")) env.disableOperatorChaining();
        if (e.has("maxpar-job-64")) env.setMaxParallelism(64);
        if (e.has("maxpar-job-128")) env.setMaxParallelism(128);

        DataStream<Long> numbers = env.fromSource(
                        new DataGeneratorSource<>(new Seq(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(10), Types.LONG),
                        WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers");
        DataStream<Long> s = numbers;
        // remove-parse (not in EDITS: the oracle's file-merging restores only) drops the stateless Parse
        if (!e.has("remove-parse")) {
            SingleOutputStreamOperator<Long> parse = numbers.map(new Parse()).returns(Types.LONG).uid("parse").name("Parse");
            if (e.has("break-chain-parse")) parse.disableChaining();
            s = parse;
        }

        if (!e.has("remove-count")) {
            SingleOutputStreamOperator<Long> count = s.keyBy(new Mod(), Types.LONG).process(new Count(e)).returns(Types.LONG)
                    .name(e.has("rename-name-count") ? "Count per key" : "Count");
            if (e.has("rename-uid-count")) count.uid("count-v2");
            else if (e.has("rename-uid-count-with-hash")) count.uid("count-v2").setUidHash(hex("count"));
            else count.uid("count");
            if (e.has("parallelism-count-1")) count.setParallelism(1);
            if (e.has("parallelism-count-4")) count.setParallelism(4);
            if (e.has("maxpar-count-128")) count.setMaxParallelism(128);
            if (e.has("maxpar-count-256")) count.setMaxParallelism(256);
            if (e.has("maxpar-count-64")) count.setMaxParallelism(64);
            if (e.has("slot-sharing-count")) count.slotSharingGroup("count");
            s = count;
        }
        if (!e.has("remove-collections")) {
            s = s.keyBy(new Mod(), Types.LONG).process(new Collections(e)).returns(Types.LONG).uid("collections").name("Collections");
        }
        if (!e.has("remove-timers")) {
            s = s.keyBy(new Mod(), Types.LONG).process(new Timers(e)).returns(Types.LONG).uid("timers").name("Timers");
        }
        if (e.has("add-stateful")) {
            s = s.keyBy(new Mod(), Types.LONG).process(new Added()).returns(Types.LONG).uid("added").name("Added");
        }
        if (e.has("add-stateless-before-noid")) {
            s = s.map(new Parse()).returns(Types.LONG).uid("inserted").name("Inserted");
        }
        if (!e.has("remove-noid")) {
            SingleOutputStreamOperator<Long> noid = s.keyBy(new Mod(), Types.LONG).process(new Seen()).returns(Types.LONG).name("No uid");
            if (e.has("noid-gets-uid")) noid.uid("seen");
            if (e.has("parallelism-noid-1")) noid.setParallelism(1);
            if (e.has("slot-sharing-noid")) noid.slotSharingGroup("noid");
            s = noid;
        }
        if (!e.has("remove-buffer")) {
            SingleOutputStreamOperator<Long> buffer = s.map(new Buffer(e)).returns(Types.LONG)
                    .uid(e.has("rename-uid-buffer") ? "buffer-v2" : "buffer").name("Buffer");
            if (e.has("break-chain-buffer")) buffer.disableChaining();
            if (e.has("start-chain-buffer")) buffer.startNewChain();
            s = buffer;
        }
        if (!e.has("remove-enrich")) {
            DataStream<Long> rules = env.fromSource(
                            new DataGeneratorSource<>(new Seq(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(2), Types.LONG),
                            WatermarkStrategy.noWatermarks(), "rules")
                    .uid("rules").setParallelism(1);
            MapStateDescriptor<Long, ?> rulesDesc = e.has("type-rules-long")
                    ? new MapStateDescriptor<>("rules", Types.LONG, Types.LONG)
                    : new MapStateDescriptor<>("rules", Types.LONG, Types.STRING);
            BroadcastStream<Long> b = rules.broadcast(rulesDesc);
            s = s.keyBy(new Mod(), Types.LONG).connect(b).process(new Enrich(e)).returns(Types.LONG).uid("enrich").name("Enrich");
        }
        if (e.has("add-stateless-end")) {
            s = s.map(new Parse()).returns(Types.LONG).uid("appended").name("Appended");
        }
        discard(s).uid("sink").name("Sink");
    }

    /** A Sink V2 that discards (sink.v2.DiscardingSink, Flink 1.19+); on 1.18, which has none, the
     * SinkFunction DiscardingSink. Looked up by name so that one source compiles on every version. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static org.apache.flink.streaming.api.datastream.DataStreamSink<Long> discard(DataStream<Long> s) {
        try {
            Object v2 = Class.forName("org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink").getDeclaredConstructor().newInstance();
            return s.sinkTo((org.apache.flink.api.connector.sink2.Sink) v2);
        } catch (ClassNotFoundException e) {
            try {
                Object f = Class.forName("org.apache.flink.streaming.api.functions.sink.DiscardingSink").getDeclaredConstructor().newInstance();
                for (Method m : DataStream.class.getMethods()) {
                    if (m.getName().equals("addSink") && m.getParameterCount() == 1) {
                        return (org.apache.flink.streaming.api.datastream.DataStreamSink<Long>) m.invoke(s, f);
                    }
                }
                throw new IllegalStateException("no DataStream#addSink");
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The operator ID Flink derives from a uid (StreamGraphHasherV2.generateUserSpecifiedHash), in hex. */
    static String hex(String uid) {
        return Murmur3.uidHash(uid);
    }

    /** A TTL config on every supported version: newBuilder(Duration) from 1.19, newBuilder(Time) before. */
    static StateTtlConfig ttl() {
        try {
            Method m = StateTtlConfig.class.getMethod("newBuilder", Duration.class);
            return ((StateTtlConfig.Builder) m.invoke(null, Duration.ofHours(1))).build();
        } catch (NoSuchMethodException nsme) {
            try {
                Class<?> time = Class.forName("org.apache.flink.api.common.time.Time");
                Object t = time.getMethod("hours", long.class).invoke(null, 1L);
                return ((StateTtlConfig.Builder) StateTtlConfig.class.getMethod("newBuilder", time).invoke(null, t)).build();
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    public static final class Seq implements GeneratorFunction<Long, Long> {
        @Override public Long map(Long i) { return i; }
    }

    public static final class Parse implements MapFunction<Long, Long> {
        @Override public Long map(Long v) { return v; }
    }

    public static final class Mod implements KeySelector<Long, Long> {
        @Override public Long getKey(Long v) { return v % 5; }
    }

    /** Keyed value state "count" (kind, type, TTL and name edits). */
    public static final class Count extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private final Edits e;
        private transient org.apache.flink.api.common.state.State count;
        private transient ValueState<Long> extra;
        Count(Edits e) { this.e = e; }

        @Override public void initializeState(FunctionInitializationContext ctx) {
            String name = e.has("rename-state-count") ? "counter" : "count";
            if (e.has("kind-count-list")) {
                count = ctx.getKeyedStateStore().getListState(new ListStateDescriptor<>(name, Types.LONG));
            } else if (e.has("type-count-string")) {
                count = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>(name, Types.STRING));
            } else {
                ValueStateDescriptor<Long> d = new ValueStateDescriptor<>(name, Types.LONG);
                if (e.has("ttl-count-on")) d.enableTimeToLive(ttl());
                count = ctx.getKeyedStateStore().getState(d);
            }
            if (e.has("add-state-extra")) extra = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>("extra", Types.LONG));
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) {}

        @SuppressWarnings("unchecked")
        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            if (count instanceof ValueState && !e.has("type-count-string")) {
                ValueState<Long> c = (ValueState<Long>) count;
                Long n = c.value();
                c.update(n == null ? 1 : n + 1);
            } else if (count instanceof ListState) {
                ((ListState<Long>) count).add(v);
            } else {
                ((ValueState<String>) count).update("x");
            }
            if (extra != null) extra.update(v);
            out.collect(v);
        }
    }

    /** Keyed list, map, reducing and aggregating state. */
    public static final class Collections extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private final Edits e;
        private transient org.apache.flink.api.common.state.State history;
        private transient org.apache.flink.api.common.state.MapState<Long, ?> perMap;
        private transient org.apache.flink.api.common.state.ReducingState<Long> sum;
        private transient org.apache.flink.api.common.state.AggregatingState<Long, Long> max;
        Collections(Edits e) { this.e = e; }

        @Override public void initializeState(FunctionInitializationContext ctx) {
            var st = ctx.getKeyedStateStore();
            if (!e.has("drop-state-history")) {
                history = e.has("kind-history-value")
                        ? st.getState(new ValueStateDescriptor<>("history", Types.LONG))
                        : st.getListState(new ListStateDescriptor<>("history", Types.LONG));
            }
            perMap = e.has("type-permap-string")
                    ? st.getMapState(new MapStateDescriptor<>("per-value", Types.LONG, Types.STRING))
                    : st.getMapState(new MapStateDescriptor<>("per-value", Types.LONG, Types.LONG));
            sum = st.getReducingState(new ReducingStateDescriptor<>("sum", new Sum(), Types.LONG));
            max = st.getAggregatingState(new AggregatingStateDescriptor<>("max", new Max(), Types.LONG));
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) {}

        @SuppressWarnings("unchecked")
        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            if (history instanceof ListState) {
                ListState<Long> h = (ListState<Long>) history;
                int n = 0;
                for (Long ignored : h.get()) n++;
                if (n < 3) h.add(v);
            } else if (history != null) {
                ((ValueState<Long>) history).update(v);
            }
            if (e.has("type-permap-string")) {
                ((org.apache.flink.api.common.state.MapState<Long, String>) perMap).put(v % 3, "x");
            } else {
                ((org.apache.flink.api.common.state.MapState<Long, Long>) perMap).put(v % 3, v);
            }
            sum.add(v);
            max.add(v);
            out.collect(v);
        }
    }

    public static final class Sum implements ReduceFunction<Long> {
        @Override public Long reduce(Long a, Long b) { return a + b; }
    }

    public static final class Max implements AggregateFunction<Long, Long, Long> {
        @Override public Long createAccumulator() { return Long.MIN_VALUE; }
        @Override public Long add(Long v, Long acc) { return Math.max(v, acc); }
        @Override public Long getResult(Long acc) { return acc; }
        @Override public Long merge(Long a, Long b) { return Math.max(a, b); }
    }

    /** Processing-time timers and a value state "last" with TTL. */
    public static final class Timers extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private final Edits e;
        private transient ValueState<Long> last;
        Timers(Edits e) { this.e = e; }

        @Override public void initializeState(FunctionInitializationContext ctx) {
            ValueStateDescriptor<Long> d = new ValueStateDescriptor<>("last", Types.LONG);
            if (!e.has("ttl-last-off")) d.enableTimeToLive(ttl());
            last = ctx.getKeyedStateStore().getState(d);
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) {}

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            last.update(v);
            ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() / 60_000 * 60_000 + 3_600_000);
            out.collect(v);
        }

        @Override public void onTimer(long ts, OnTimerContext ctx, Collector<Long> out) {}
    }

    /** A keyed operator the edits add. */
    public static final class Added extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private transient ValueState<Long> s;
        @Override public void initializeState(FunctionInitializationContext ctx) {
            s = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>("added", Types.LONG));
        }
        @Override public void snapshotState(FunctionSnapshotContext ctx) {}
        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            s.update(v);
            out.collect(v);
        }
    }

    /** The operator without uid: keyed value state "seen". */
    public static final class Seen extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private transient ValueState<Boolean> seen;
        @Override public void initializeState(FunctionInitializationContext ctx) {
            seen = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>("seen", Types.BOOLEAN));
        }
        @Override public void snapshotState(FunctionSnapshotContext ctx) {}
        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            seen.update(true);
            out.collect(v);
        }
    }

    /** Operator state: list state "buffer" and union list state "offsets". */
    public static final class Buffer implements MapFunction<Long, Long>, CheckpointedFunction {
        private final Edits e;
        private transient ListState<Long> buffer;
        private transient ListState<Long> offsets;
        private long lastSeen;
        Buffer(Edits e) { this.e = e; }

        @Override public void initializeState(FunctionInitializationContext ctx) throws Exception {
            var st = ctx.getOperatorStateStore();
            ListStateDescriptor<Long> b = new ListStateDescriptor<>("buffer", Types.LONG);
            ListStateDescriptor<Long> o = new ListStateDescriptor<>("offsets", Types.LONG);
            buffer = e.has("kind-buffer-union") ? st.getUnionListState(b) : st.getListState(b);
            offsets = e.has("kind-offsets-list") ? st.getListState(o) : st.getUnionListState(o);
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
            buffer.clear();
            buffer.add(lastSeen);
            offsets.clear();
            offsets.add(lastSeen);
        }

        @Override public Long map(Long v) {
            lastSeen = v;
            return v;
        }
    }

    /** Broadcast state "rules" and keyed value state "hits". */
    public static final class Enrich extends KeyedBroadcastProcessFunction<Long, Long, Long, Long> implements CheckpointedFunction {
        private final Edits e;
        private transient ValueState<Long> hits;
        Enrich(Edits e) { this.e = e; }

        @Override public void initializeState(FunctionInitializationContext ctx) {
            hits = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>("hits", Types.LONG));
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) {}

        private MapStateDescriptor<Long, Object> desc() {
            @SuppressWarnings({"unchecked", "rawtypes"})
            MapStateDescriptor<Long, Object> d = e.has("type-rules-long")
                    ? (MapStateDescriptor) new MapStateDescriptor<>("rules", Types.LONG, Types.LONG)
                    : (MapStateDescriptor) new MapStateDescriptor<>("rules", Types.LONG, Types.STRING);
            return d;
        }

        @Override public void processElement(Long v, ReadOnlyContext ctx, Collector<Long> out) throws Exception {
            ReadOnlyBroadcastState<Long, Object> r = ctx.getBroadcastState(desc());
            r.get(v % 5);
            Long h = hits.value();
            hits.update(h == null ? 1 : h + 1);
            out.collect(v);
        }

        @Override public void processBroadcastElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            BroadcastState<Long, Object> r = ctx.getBroadcastState(desc());
            r.put(v % 5, e.has("type-rules-long") ? (Object) v : (Object) ("rule-" + v));
        }
    }
}
