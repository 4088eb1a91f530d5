package dev.spcheck.oracle;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.formats.avro.typeutils.GenericRecordAvroTypeInfo;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The oracle's types job: keyed value state of a POJO ({@code Order}), of a generic type Flink serializes with
 * Kryo ({@code Legacy}, no default constructor) and of an Avro GenericRecord ({@code Event}). The two classes
 * are not part of this jar: each version of them is its own job JAR (see {@link #sources}), as a user's next
 * build would be, and the functions load them through the job's user-code class loader. {@code --edit NAME}
 * applies one of {@link #EDITS}: the POJO or Avro schema evolves, or the Kryo type becomes a POJO.
 */
public final class TypesJob {

    public static final String[] EDITS = {
        "pojo-add-field", "pojo-remove-field", "pojo-field-type",
        "kryo-to-pojo",
        "avro-add-field-default", "avro-add-field-nodefault", "avro-remove-field", "avro-int-to-long", "avro-field-type",
    };

    static final String PKG = "dev.spcheck.oracle.types";

    public static void main(String[] args) throws Exception {
        Set<String> e = CatalogueJob.edits(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Long> s = env.fromSource(
                        new DataGeneratorSource<>(new CatalogueJob.Seq(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(10), Types.LONG),
                        WatermarkStrategy.noWatermarks(), "numbers")
                .uid("numbers");
        s = s.keyBy(new CatalogueJob.Mod(), Types.LONG).process(new Reflective("order", PKG + ".Order")).returns(Types.LONG).uid("orders").name("Orders");
        s = s.keyBy(new CatalogueJob.Mod(), Types.LONG).process(new Reflective("legacy", PKG + ".Legacy")).returns(Types.LONG).uid("legacy").name("Legacy");
        s = s.keyBy(new CatalogueJob.Mod(), Types.LONG).process(new Avro(avroSchema(e))).returns(Types.LONG).uid("events").name("Events");
        CatalogueJob.discard(s).uid("sink").name("Sink");
        env.execute("spcheck oracle types job");
    }

    /** The Java sources of the job's own classes under the edits: one job JAR per version of them. */
    static Map<String, String> sources(String edit) {
        Map<String, String> m = new LinkedHashMap<>();
        String order;
        switch (edit) {
            case "pojo-add-field": order = "public Long id; public Long amount; public String note;"; break;
            case "pojo-remove-field": order = "public Long id;"; break;
            case "pojo-field-type": order = "public Long id; public String amount;"; break;
            default: order = "public Long id; public Long amount;";
        }
        m.put("Order", "package " + PKG + ";\n/** A POJO. */\npublic class Order {\n  " + order + "\n  public Order() {}\n}\n");
        m.put("Legacy", edit.equals("kryo-to-pojo")
                ? "package " + PKG + ";\n/** Now a POJO. */\npublic class Legacy {\n  public Long id;\n  public Legacy() {}\n}\n"
                : "package " + PKG + ";\n/** Not a POJO (no default constructor): Flink serializes it with Kryo. */\npublic class Legacy {\n"
                  + "  private final long id;\n  public Legacy(long id) { this.id = id; }\n  public long id() { return id; }\n}\n");
        return m;
    }

    static String avroSchema(Set<String> e) {
        String amount = e.contains("avro-int-to-long") ? "\"long\"" : e.contains("avro-field-type") ? "\"string\"" : "\"int\"";
        List<String> f = new ArrayList<>();
        f.add("{\"name\": \"id\", \"type\": \"long\"}");
        if (!e.contains("avro-remove-field")) f.add("{\"name\": \"amount\", \"type\": " + amount + "}");
        if (e.contains("avro-add-field-default")) f.add("{\"name\": \"note\", \"type\": \"string\", \"default\": \"\"}");
        if (e.contains("avro-add-field-nodefault")) f.add("{\"name\": \"note\", \"type\": \"string\"}");
        return "{\"type\": \"record\", \"name\": \"Event\", \"namespace\": \"" + PKG + "\", \"fields\": [" + String.join(", ", f) + "]}";
    }

    /** The states each operator declares under an edit, in spcheck's vocabulary (docs/state-rules.md). */
    static Map<String, List<String[]>> states(String edit) {
        Map<String, List<String[]>> m = new LinkedHashMap<>();
        String order;
        switch (edit) {
            case "pojo-add-field": order = "id: Long, amount: Long, note: String"; break;
            case "pojo-remove-field": order = "id: Long"; break;
            case "pojo-field-type": order = "id: Long, amount: String"; break;
            default: order = "id: Long, amount: Long";
        }
        m.put("Orders", List.<String[]>of(new String[] {"order", "value", "true", "POJO " + PKG + ".Order{" + order + "} keyed by Long", null}));
        m.put("Legacy", List.<String[]>of(new String[] {"legacy", "value", "true",
                (edit.equals("kryo-to-pojo") ? "POJO " + PKG + ".Legacy{id: Long}" : "Kryo " + PKG + ".Legacy") + " keyed by Long", null}));
        Set<String> e = edit.equals("none") ? Set.of() : Set.of(edit);
        m.put("Events", List.<String[]>of(new String[] {"event", "value", "true", "Avro record " + PKG + ".Event (GenericRecord) keyed by Long", null, avroSchema(e)}));
        return m;
    }

    /** Keyed value state of a class the job JAR holds, loaded through the user-code class loader (the task's
     * context class loader); the type information Flink derives for it decides POJO or Kryo. */
    public static final class Reflective extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private final String stateName;
        private final String className;
        private transient Class<?> cls;
        private transient ValueState<Object> state;

        Reflective(String stateName, String className) {
            this.stateName = stateName;
            this.className = className;
        }

        @SuppressWarnings("unchecked")
        @Override public void initializeState(FunctionInitializationContext ctx) throws Exception {
            cls = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
            state = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>(stateName, (TypeInformation<Object>) TypeInformation.of(cls)));
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) {}

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            state.value();
            Object o;
            Constructor<?> noArg = null;
            for (Constructor<?> c : cls.getConstructors()) if (c.getParameterCount() == 0) noArg = c;
            if (noArg != null) {
                o = noArg.newInstance();
                for (Field f : cls.getFields()) {
                    if (Modifier.isStatic(f.getModifiers())) continue;
                    f.set(o, f.getType() == String.class ? "v" + v : (Object) v);
                }
            } else {
                o = cls.getConstructor(long.class).newInstance(v);
            }
            state.update(o);
            out.collect(v);
        }
    }

    /** Keyed value state "event" of an Avro GenericRecord with the job's schema. */
    public static final class Avro extends KeyedProcessFunction<Long, Long, Long> implements CheckpointedFunction {
        private final String schemaJson;
        private transient Schema schema;
        private transient ValueState<GenericRecord> event;

        Avro(String schemaJson) {
            this.schemaJson = schemaJson;
        }

        @Override public void initializeState(FunctionInitializationContext ctx) {
            schema = new Schema.Parser().parse(schemaJson);
            event = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>("event", new GenericRecordAvroTypeInfo(schema)));
        }

        @Override public void snapshotState(FunctionSnapshotContext ctx) {}

        @Override public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            // each key's record is written once: the records restored from a savepoint stay as they were read, so
            // that a heap backend's next checkpoint writes them (else the outcome would race the input)
            if (event.value() != null) {
                out.collect(v);
                return;
            }
            GenericData.Record r = new GenericData.Record(schema);
            for (Schema.Field f : schema.getFields()) {
                switch (f.schema().getType()) {
                    case LONG: r.put(f.name(), v); break;
                    case INT: r.put(f.name(), (int) (long) v); break;
                    default: r.put(f.name(), "v" + v);
                }
            }
            event.update(r);
            out.collect(v);
        }
    }
}
