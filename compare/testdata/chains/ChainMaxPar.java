import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public class ChainMaxPar {
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Long> src = env.fromSequence(0, 10).uid("src");
        if (args.length > 0 && args[0].equals("head")) ((SingleOutputStreamOperator<Long>) src).setMaxParallelism(64);
        SingleOutputStreamOperator<Long> m = src.map(x -> x).returns(Types.LONG).uid("m").name("M").setMaxParallelism(256);
        m.keyBy(x -> x).map(x -> x).returns(Types.LONG).uid("k").name("K").sinkTo(new DiscardingSink<>());
        env.execute("x");
    }
}
