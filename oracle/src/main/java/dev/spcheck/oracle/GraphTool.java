package dev.spcheck.oracle;

import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.client.FlinkPipelineTranslationUtil;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * spcheck-graph: builds the job graph of a job JAR exactly as {@code flink run} does (the program's main
 * method runs against a plan environment that captures the pipeline at {@code execute()} instead of running
 * it: PackagedProgramUtils.getPipelineFromProgram, then FlinkPipelineTranslationUtil.getJobGraph), and writes
 * the spcheck job-graph manifest (format spcheck/jobgraph/v1) with the operator IDs of the JobGraph's vertices.
 */
public final class GraphTool {

    /** The job graph Flink would submit and its manifest. */
    public static final class Result {
        public final JobGraph jobGraph;
        public final String manifest;
        Result(JobGraph jobGraph, String manifest) {
            this.jobGraph = jobGraph;
            this.manifest = manifest;
        }
    }

    private static final String USAGE = String.join("\n",
            "usage: spcheck-graph [--jar JOB.jar] [--class MAIN] [--parallelism N] [--conf-dir DIR] [-D key=value]... [-o FILE] [-- JOB ARGS...]",
            "",
            "Builds the job graph of a Flink job as 'flink run' does, without running the job, and writes",
            "the spcheck job-graph manifest (spcheck/jobgraph/v1) with the exact operator IDs Flink assigns.",
            "Check it with: spcheck check SAVEPOINT --graph FILE",
            "",
            "  --jar JOB.jar      the job's JAR (its manifest's Main-Class or Program-Class is used without --class)",
            "  --class MAIN       the entry class (needed when the JAR names none, or without --jar: from the classpath)",
            "  --parallelism N    the default parallelism, as 'flink run -p' (default: parallelism.default, else 1)",
            "  --conf-dir DIR     read DIR/config.yaml or DIR/flink-conf.yaml as the Flink configuration",
            "  -D key=value       a configuration option, as 'flink run -D'",
            "  -o FILE            write the manifest to FILE (default: standard output)",
            "  --version          print the Flink version spcheck-graph was built against");

    public static void main(String[] argv) throws Exception {
        String jar = null, cls = null, out = null, confDir = null;
        int parallelism = -1;
        Configuration conf = new Configuration();
        List<String> jobArgs = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "--jar": jar = need(argv, ++i, a); break;
                case "--class": cls = need(argv, ++i, a); break;
                case "-o": out = need(argv, ++i, a); break;
                case "--conf-dir": confDir = need(argv, ++i, a); break;
                case "--parallelism": case "-p":
                    try {
                        parallelism = Integer.parseInt(need(argv, ++i, a));
                    } catch (NumberFormatException nfe) {
                        usage("--parallelism needs a number");
                    }
                    break;
                case "-D": {
                    String kv = need(argv, ++i, a);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) usage("-D needs key=value, got " + kv);
                    set(conf, kv.substring(0, eq), kv.substring(eq + 1));
                    break;
                }
                case "--": jobArgs.addAll(Arrays.asList(argv).subList(i + 1, argv.length)); i = argv.length; break;
                case "-h": case "--help": System.out.println(USAGE); return;
                case "--version": System.out.println("spcheck-graph for Flink " + EnvironmentInformation.getVersion()); return;
                default:
                    if (a.startsWith("-D") && a.contains("=")) {
                        String kv = a.substring(2);
                        set(conf, kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                    } else {
                        usage("unknown argument " + a);
                    }
            }
        }
        if (jar == null && cls == null) usage("give --jar or --class");
        if (confDir != null) {
            Configuration base = GlobalConfiguration.loadConfiguration(confDir);
            base.addAll(conf);
            conf = base;
        }
        if (parallelism <= 0) parallelism = conf.get(ConfigOptions.key("parallelism.default").intType().defaultValue(1));
        Result r;
        try {
            r = extract(jar == null ? null : new File(jar), cls, jobArgs.toArray(new String[0]), conf, parallelism);
        } catch (Exception ex) {
            System.err.println("spcheck-graph: could not build the job graph: " + ex);
            Throwable c = ex.getCause();
            for (int depth = 0; c != null && depth < 8; depth++, c = c.getCause()) System.err.println("  caused by: " + c);
            System.exit(3);
            return;
        }
        if (out == null) {
            System.out.print(r.manifest);
        } else {
            Files.writeString(Path.of(out), r.manifest, StandardCharsets.UTF_8);
        }
    }

    private static String need(String[] argv, int i, String flag) {
        if (i >= argv.length) usage(flag + " needs a value");
        return argv[i];
    }

    private static void usage(String msg) {
        System.err.println("spcheck-graph: " + msg + "\n\n" + USAGE);
        System.exit(2);
    }

    static void set(Configuration conf, String key, String value) {
        conf.set(ConfigOptions.key(key).stringType().noDefaultValue(), value);
    }

    /** Runs the program's main method in a plan environment and returns the JobGraph and its manifest. */
    public static Result extract(File jar, String entryClass, String[] args, Configuration conf, int parallelism) throws Exception {
        return extract(jar, entryClass, args, conf, parallelism, Map.of());
    }

    /**
     * As {@link #extract(File, String, String[], Configuration, int)}, and adds to each operator named in
     * {@code states} (by name, or by "#" and its operator ID) the states it declares ({name, kind, keyed,
     * serializer, ttl, avroSchema}; keyed, ttl and avroSchema may be null or left off): the job
     * graph does not hold state descriptors, which the job registers only when it runs.
     */
    public static Result extract(File jar, String entryClass, String[] args, Configuration conf, int parallelism,
                                 Map<String, List<String[]>> states) throws Exception {
        PackagedProgram.Builder b = PackagedProgram.newBuilder().setArguments(args).setConfiguration(conf);
        if (jar != null) b.setJarFile(jar);
        if (entryClass != null) b.setEntryPointClassName(entryClass);
        PackagedProgram program = b.build();
        try {
            resetPlannerNodeIds(program.getUserCodeClassLoader());
            Pipeline pipeline = PackagedProgramUtils.getPipelineFromProgram(program, conf, parallelism, true);
            if (!(pipeline instanceof StreamGraph)) {
                throw new IllegalArgumentException("the program built a " + pipeline.getClass().getSimpleName() + ", not a streaming job");
            }
            StreamGraph sg = (StreamGraph) pipeline;
            Map<Integer, byte[]> hashes = new StreamGraphHasherV2().traverseStreamGraphAndGenerateHashes(sg);
            Map<String, StreamNode> byHash = new HashMap<>();
            for (StreamNode n : sg.getStreamNodes()) byHash.put(hex(hashes.get(n.getId())), n);
            JobGraph jg = FlinkPipelineTranslationUtil.getJobGraph(program.getUserCodeClassLoader(), pipeline, conf, parallelism);
            return new Result(jg, manifest(sg, jg, byHash, conf, parallelism, states));
        } finally {
            program.close();
        }
    }

    /**
     * The SQL planner numbers the ExecNodes of every plan it compiles from one JVM-wide counter
     * (ExecNodeContext.newNodeId), and the compiled plan's operator uids carry the numbers
     * (table.exec.uid.format "&lt;id&gt;_&lt;transformation&gt;"): 'flink run' starts a fresh JVM, so its job's
     * nodes count from 1. Reset the counter so that a second extraction in one JVM gives the same uids. Where
     * the planner is not visible (the planner loader keeps it in its own class loader) nothing is done.
     */
    static void resetPlannerNodeIds(ClassLoader cl) {
        try {
            Class.forName("org.apache.flink.table.planner.plan.nodes.exec.ExecNodeContext", true, cl).getMethod("resetIdCounter").invoke(null);
        } catch (ReflectiveOperationException | LinkageError notThere) {
            // no planner on the classpath: not a SQL job
        }
    }

    static String manifest(StreamGraph sg, JobGraph jg, Map<String, StreamNode> byHash, Configuration conf, int parallelism,
                           Map<String, List<String[]>> states) {
        Json j = new Json();
        j.open('{');
        j.field("format").str("spcheck/jobgraph/v1");
        j.field("job").str(sg.getJobName());
        String v = EnvironmentInformation.getVersion();
        j.field("flinkVersion").str(v);
        // the configured state backend (state.backend.type in the configuration flink run uses); the
        // manifest names the built-in ones, anything else (a factory class) is left out
        String backend = conf.getOptional(StateBackendOptions.STATE_BACKEND).orElse("");
        switch (backend.toLowerCase(java.util.Locale.ROOT)) {
            case "hashmap": case "jobmanager": case "filesystem": j.field("stateBackend").str("hashmap"); break;
            case "rocksdb": j.field("stateBackend").str("rocksdb"); break;
            case "forst": j.field("stateBackend").str("forst"); break;
            default: break;
        }
        // the job-wide max parallelism (env.setMaxParallelism, pipeline.max-parallelism), which Flink gives every
        // transformation that sets none: written once, so that spcheck reports a change of it once
        int jobMax = sg.getExecutionConfig().getMaxParallelism();
        if (jobMax > 0) j.field("maxParallelism").num(jobMax);
        j.field("operators").open('[');
        for (JobVertex vx : jg.getVertices()) {
            List<OperatorIDPair> ids = new ArrayList<>(vx.getOperatorIDs());
            java.util.Collections.reverse(ids); // Flink lists a chain tail first; write it head first
            for (OperatorIDPair p : ids) {
                String gen = p.getGeneratedOperatorID().toHexString();
                StreamNode n = byHash.get(gen);
                if (n == null) {
                    throw new IllegalStateException("operator " + gen + " of vertex " + vx.getName() + " has no stream node with that hash");
                }
                j.open('{');
                String uid = n.getTransformationUID();
                String userHash = p.getUserDefinedOperatorID().map(o -> o.toHexString()).orElse(null);
                if (uid != null && !uid.isEmpty()) {
                    if (!Murmur3.uidHash(uid).equals(gen)) {
                        throw new IllegalStateException("operator " + gen + " has uid " + uid + " but another ID");
                    }
                    j.field("uid").str(uid);
                    if (userHash != null) j.field("uidHash").str(userHash);
                } else if (userHash != null) {
                    // the schema takes either the generated ID or the uid hash; Flink matches state against both,
                    // and an operator pinned with setUidHash is meant to match by it
                    j.field("uidHash").str(userHash);
                } else {
                    j.field("id").str(gen);
                }
                j.field("name").str(n.getOperatorName());
                // the job vertex (operator chain): operators of one vertex are written head first, its output
                // operator (the first of getOperatorIDs) last
                j.field("vertex").str(vx.getID().toHexString());
                int par = vx.getParallelism() > 0 ? vx.getParallelism() : parallelism;
                j.field("parallelism").num(par);
                // the job vertex's max parallelism, which Flink takes from the chain head's StreamNode alone
                // (StreamingJobGraphGenerator#createJobVertex) and checks every operator's savepoint state
                // against (Checkpoints#loadAndValidateCheckpoint): a chained operator's own setting is ignored
                int maxPar = vx.getMaxParallelism();
                if (maxPar > 0 && maxPar != jobMax) j.field("maxParallelism").num(maxPar);
                boolean source = sg.getSourceIDs().contains(n.getId());
                j.field("stateful").bool(source || stateful(n));
                if (source) j.field("source").bool(true);
                List<String[]> decl = states.get(n.getOperatorName());
                if (decl == null) decl = states.get("#" + gen);
                if (decl != null) {
                    j.field("states").open('[');
                    for (String[] d : decl) {
                        j.open('{');
                        j.field("name").str(d[0]);
                        j.field("kind").str(d[1]);
                        if (d[2] != null) j.field("keyed").bool(Boolean.parseBoolean(d[2]));
                        j.field("serializer").str(d[3]);
                        if (d.length > 4 && d[4] != null) j.field("ttl").str(d[4]);
                        if (d.length > 5 && d[5] != null) j.field("avroSchema").str(d[5]);
                        j.close('}');
                    }
                    j.close(']');
                }
                j.close('}');
            }
        }
        j.close(']');
        // the job edges into each vertex, with their distribution pattern (Flink checks finished vertices'
        // inputs and redistributes in-flight data along them)
        j.field("vertices").open('[');
        for (JobVertex vx : jg.getVertices()) {
            j.open('{');
            j.field("id").str(vx.getID().toHexString());
            j.field("inputs").open('[');
            for (org.apache.flink.runtime.jobgraph.JobEdge e : vx.getInputs()) {
                j.open('{');
                j.field("vertex").str(e.getSource().getProducer().getID().toHexString());
                j.field("distribution").str(e.getDistributionPattern().name());
                String ps = partitioner(e.getShipStrategyName());
                if (ps != null) j.field("partitioner").str(ps);
                j.close('}');
            }
            j.close(']');
            j.close('}');
        }
        j.close(']');
        j.close('}');
        return j.toString() + "\n";
    }

    /** Whether an operator keeps state as far as its graph tells: keyed, or a function with operator state. */
    static boolean stateful(StreamNode n) {
        if (n.getStateKeySerializer() != null) return true;
        if (n.getOperatorFactory() instanceof SimpleOperatorFactory) {
            StreamOperator<?> op = ((SimpleOperatorFactory<?>) n.getOperatorFactory()).getOperator();
            if (op instanceof AbstractUdfStreamOperator) {
                Object fn = ((AbstractUdfStreamOperator<?, ?>) op).getUserFunction();
                return fn instanceof CheckpointedFunction;
            }
        }
        return false;
    }

    static String hex(byte[] h) {
        StringBuilder sb = new StringBuilder();
        for (byte x : h) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    /** The state backend the configuration names, or "default". */
    /** The manifest's name of a JobEdge's partitioner: its ship strategy name, which StreamingJobGraphGenerator#connect
     * sets to the StreamPartitioner's toString ("REBALANCE", "HASH", …), in lower case; null for another. */
    static String partitioner(String shipStrategy) {
        if (shipStrategy == null) return null;
        switch (shipStrategy) {
            case "FORWARD": case "REBALANCE": case "RESCALE": case "HASH": case "BROADCAST": case "SHUFFLE": case "GLOBAL": case "CUSTOM":
                return shipStrategy.toLowerCase(java.util.Locale.ROOT);
            default:
                return null;
        }
    }

    static String backend(Configuration conf) {
        return conf.getOptional(StateBackendOptions.STATE_BACKEND).orElse("default");
    }
}
