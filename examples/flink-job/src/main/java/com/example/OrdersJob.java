package com.example;

import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/** An example job: a sequence source, a keyed count with value state (uid "count"), a map without uid and a print sink. */
public final class OrdersJob {
    public static void main(String[] args) throws Exception {
        String env = args.length == 2 && args[0].equals("--env") ? args[1] : "dev";
        StreamExecutionEnvironment see = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Long> orders = see.fromSequence(0, Long.MAX_VALUE).uid("orders").name("Orders");
        DataStream<Long> counts = orders.keyBy(v -> v % 16, Types.LONG).process(new Count()).returns(Types.LONG).uid("count").name("Count per customer");
        counts.map(v -> v * 2).returns(Types.LONG).name("Double")
                .print().uid("print").name("Print");
        see.execute("orders (" + env + ")");
    }

    /** Counts per key in value state "count". */
    public static final class Count extends KeyedProcessFunction<Long, Long, Long> {
        private transient ValueState<Long> count;

        @Override
        public void processElement(Long v, Context ctx, Collector<Long> out) throws Exception {
            if (count == null) count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            Long n = count.value();
            count.update(n == null ? 1 : n + 1);
            out.collect(v);
        }
    }
}
