package dev.spcheck.oracle;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.util.EnvironmentInformation;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The restore oracle: runs the catalogue's jobs (CatalogueJob; TypesJob, POJO, Kryo and Avro state; SqlJob, a
 * compiled SQL plan) on a MiniCluster of this build's Flink version, takes savepoints (canonical and native)
 * and a retained checkpoint with the hashmap and the RocksDB state backend (the types and SQL jobs: canonical
 * savepoints), then restores each edited job from them and records what Flink did.
 * Usage: Oracle OUT_DIR [--only CASE_PREFIX]... [--upgrade-from OTHER_VERSION_DIR]...
 * OUT_DIR/savepoints/&lt;snapshot&gt;/ holds the snapshots; OUT_DIR/&lt;case&gt;/ holds case.json (job, edit,
 * snapshot, backend), graph.json (from spcheck-graph), args (spcheck flags) and outcome.json.
 */
public final class Oracle {
    static final String[] BACKENDS = {"hashmap", "rocksdb"};
    static final String[] KINDS = {"canonical", "native", "checkpoint"};
    /** Whether this build has the ForSt state backend (the Flink 2.x profiles with flink-statebackend-forst). */
    static final boolean FORST = hasClass("org.apache.flink.state.forst.ForStStateBackend");

    static boolean hasClass(String name) {
        try {
            Class.forName(name, false, Oracle.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** A job of the catalogue: the prefix of its cases and snapshots, its entry class and the snapshot kinds it
     * takes (the types and SQL jobs keep canonical savepoints only, to keep the repository small). */
    record Job(String prefix, String entry, String[] kinds) {}

    static final Job CATALOGUE = new Job("", CatalogueJob.class.getName(), KINDS);
    static final Job TYPES = new Job("types-", TypesJob.class.getName(), new String[] {"canonical"});
    static final Job SQL = new Job("sql-", SqlJob.class.getName(), new String[] {"canonical"});
    /** The SQL job on the asynchronous state API, snapshotted with ForSt only (Flink 2.x builds with ForSt): a native
     * savepoint. A canonical one fails in ForSt's snapshot, and a retained checkpoint references the files of ForSt's
     * database in the job's checkpoint directory, which ForSt deletes when the job is cancelled (its restore then fails
     * with FileNotFoundException on 2.3.0). */
    static final Job SQL_ASYNC = new Job("sqlasync-", SqlAsyncJob.class.getName(), new String[] {"native"});
    /** The job with unaligned checkpoints under backpressure: a retained checkpoint with in-flight data, hashmap only
     * (channel state does not depend on the backend). */
    static final Job UNALIGNED = new Job("unaligned-", UnalignedJob.class.getName(), new String[] {"checkpoint"});
    static final Job[] JOBS = {CATALOGUE, TYPES, SQL, SQL_ASYNC, UNALIGNED};

    /** The backends a job's snapshots are taken with. */
    static String[] snapshotBackends(Job j) {
        if (j == UNALIGNED) return new String[] {"hashmap"};
        return j == SQL_ASYNC ? new String[] {"forst"} : BACKENDS;
    }

    /** One restore: a job, a snapshot, an edit, the backend to restore with, and -n. */
    record Case(String name, Job job, String snapshot /* relative to OUT_DIR */, String edit, String backend, boolean allowNonRestored) {}

    final Path out;
    final Path work;
    MiniCluster mc;
    /** The job JARs of the types job, one per version of its classes (by edit). */
    final Map<String, Path> typesJars = new HashMap<>();
    /** The states of the SQL job under each edit, as a savepoint of it declares them. */
    final Map<String, Map<String, List<String[]>>> sqlStates = new HashMap<>();

    Oracle(Path out, Path work) {
        this.out = out;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        Path out = null;
        List<String> only = new ArrayList<>();
        List<Path> upgradeFrom = new ArrayList<>();
        Path sinkFiles = null;
        Path fileMerging = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--sink-files") && i + 1 < args.length) sinkFiles = Path.of(args[++i]).toAbsolutePath();
            else if (args[i].equals("--file-merging") && i + 1 < args.length) fileMerging = Path.of(args[++i]).toAbsolutePath();
            else if (args[i].equals("--only") && i + 1 < args.length) only.add(args[++i]);
            else if (args[i].equals("--upgrade-from") && i + 1 < args.length) upgradeFrom.add(Path.of(args[++i]).toAbsolutePath());
            else if (out == null && !args[i].startsWith("-")) out = Path.of(args[i]).toAbsolutePath();
            else {
                System.err.println("usage: Oracle OUT_DIR [--only CASE_PREFIX]... [--upgrade-from OTHER_VERSION_DIR]...");
                System.exit(2);
            }
        }
        if (fileMerging != null || sinkFiles != null) {
            Path work = Files.createTempDirectory("spcheck-oracle");
            Oracle o = new Oracle(fileMerging != null ? fileMerging : sinkFiles, work);
            try {
                o.start();
                if (fileMerging != null) o.fileMerging();
                else o.sinkFiles();
            } finally {
                o.mc.close();
                deleteTree(work);
            }
            System.exit(0);
        }
        if (out == null) {
            System.err.println("usage: Oracle OUT_DIR [--only CASE_PREFIX]... [--upgrade-from OTHER_VERSION_DIR]...\n"
                    + "       Oracle --sink-files DIR\n"
                    + "       Oracle --file-merging DIR");
            System.exit(2);
        }
        Path work = Files.createTempDirectory("spcheck-oracle");
        Oracle o = new Oracle(out, work);
        try {
            o.start();
            List<Case> all = new ArrayList<>(cases());
            for (Path from : upgradeFrom) all.addAll(upgradeCases(out, from));
            // a job's snapshots are taken afresh on a full run, and when cases of it run and it has none yet
            for (Job j : JOBS) {
                boolean wanted = all.stream().anyMatch(c -> c.job() == j && !c.name().startsWith("from-") && selected(c, only));
                if (wanted && (only.isEmpty() || !Files.isDirectory(out.resolve("savepoints/" + j.prefix() + snapshotBackends(j)[0] + "-" + j.kinds()[0])))) {
                    o.snapshots(j);
                } else if (wanted && FORST && j == CATALOGUE && !Files.isDirectory(out.resolve("savepoints/forst-checkpoint"))
                        && all.stream().anyMatch(c -> c.snapshot().startsWith("savepoints/forst-") && selected(c, only))) {
                    o.snapshots(j, new String[] {"forst"}, new String[] {"native", "checkpoint"});
                } else if (wanted && FORST && j == TYPES && !Files.isDirectory(out.resolve("savepoints/types-forst-native"))
                        && all.stream().anyMatch(c -> c.snapshot().startsWith("savepoints/types-forst-") && selected(c, only))) {
                    o.snapshots(j, new String[] {"forst"}, new String[] {"native"});
                }
            }
            int n = 0;
            for (Case c : all) {
                if (!selected(c, only)) continue;
                o.run(c);
                n++;
            }
            System.out.println("oracle: " + n + " cases for Flink " + EnvironmentInformation.getVersion() + " in " + out);
        } finally {
            o.mc.close();
            deleteTree(work);
        }
        System.exit(0);
    }

    /** Whether a case is among those --only selects (by name prefix; all without --only). */
    static boolean selected(Case c, List<String> only) {
        return only.isEmpty() || only.stream().anyMatch(p -> c.name().startsWith(p));
    }

    /** Upgrading Flink: the snapshots another version took, restored into this version's job, unedited and
     * with the edits whose outcome may differ between versions. */
    static List<Case> upgradeCases(Path out, Path from) {
        List<Case> cs = new ArrayList<>();
        String v = from.getFileName().toString();
        String rel = out.relativize(from).toString();
        // the unaligned job's checkpoint with in-flight data: unedited and rescaled
        String ua = rel + "/savepoints/" + UNALIGNED.prefix() + "hashmap-checkpoint";
        if (Files.isDirectory(out.resolve(ua))) {
            for (String e : new String[] {"none", "parallelism-slow-3"}) {
                cs.add(new Case("from-" + v + "--" + UNALIGNED.prefix() + "hashmap-checkpoint--" + e, UNALIGNED, ua, e, "hashmap", false));
            }
        }
        for (String b : BACKENDS) {
            for (String k : KINDS) {
                String snap = rel + "/savepoints/" + b + "-" + k;
                for (String e : new String[] {"none", "remove-count", "ttl-count-on", "ttl-last-off", "kind-count-list"}) {
                    cs.add(new Case("from-" + v + "--" + b + "-" + k + "--" + e, CATALOGUE, snap, e, b, false));
                }
                cs.add(new Case("from-" + v + "--" + b + "-" + k + "--remove-count--n", CATALOGUE, snap, "remove-count", b, true));
            }
            // the types and SQL jobs: unedited (the SQL job recompiles its plan with this version's planner),
            // and the types job's schema evolution, which the new version migrates
            String types = rel + "/savepoints/" + TYPES.prefix() + b + "-canonical";
            if (Files.isDirectory(out.resolve(types))) {
                for (String e : new String[] {"none", "pojo-add-field", "avro-add-field-default"}) {
                    cs.add(new Case("from-" + v + "--" + TYPES.prefix() + b + "-canonical--" + e, TYPES, types, e, b, false));
                }
            }
            String sql = rel + "/savepoints/" + SQL.prefix() + b + "-canonical";
            if (Files.isDirectory(out.resolve(sql))) {
                cs.add(new Case("from-" + v + "--" + SQL.prefix() + b + "-canonical--none", SQL, sql, "none", b, false));
                cs.add(new Case("from-" + v + "--" + SQL.prefix() + b + "-canonical--none--n", SQL, sql, "none", b, true));
            }
        }
        return cs;
    }

    /** The catalogue of cases: every edit from the canonical hashmap savepoint, with and without -n; the
     * edits that matter for the snapshot kind and backend from every snapshot. */
    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        List<String> edits = new ArrayList<>();
        edits.add("none");
        edits.addAll(Arrays.asList(CatalogueJob.EDITS));
        for (String e : edits) {
            cs.add(new Case("hashmap-canonical--" + e, CATALOGUE, "savepoints/hashmap-canonical", e, "hashmap", false));
            if (loses(e)) cs.add(new Case("hashmap-canonical--" + e + "--n", CATALOGUE, "savepoints/hashmap-canonical", e, "hashmap", true));
        }
        String[] core = {"none", "remove-count", "remove-buffer", "rename-uid-count-with-hash", "maxpar-count-256",
            "parallelism-count-1", "kind-count-list", "ttl-count-on", "type-count-string", "noid-gets-uid"};
        for (String b : BACKENDS) {
            for (String k : KINDS) {
                String snap = b + "-" + k;
                if (snap.equals("hashmap-canonical")) continue;
                for (String e : core) {
                    cs.add(new Case(snap + "--" + e, CATALOGUE, "savepoints/" + snap, e, b, false));
                    if (loses(e)) cs.add(new Case(snap + "--" + e + "--n", CATALOGUE, "savepoints/" + snap, e, b, true));
                }
            }
        }
        // switching the state backend
        for (String k : KINDS) {
            cs.add(new Case("hashmap-" + k + "--to-rocksdb", CATALOGUE, "savepoints/hashmap-" + k, "none", "rocksdb", false));
            cs.add(new Case("rocksdb-" + k + "--to-hashmap", CATALOGUE, "savepoints/rocksdb-" + k, "none", "hashmap", false));
        }
        // ForSt (Flink 2.x, when the profile puts flink-statebackend-forst on the classpath): its checkpoint
        // and native savepoint restored into ForSt, RocksDB and hashmap, and RocksDB's into ForSt; and into
        // ForSt with a state's TTL turned on or off
        if (FORST) {
            for (String k : new String[] {"native", "checkpoint"}) {
                cs.add(new Case("forst-" + k + "--ttl-count-on", CATALOGUE, "savepoints/forst-" + k, "ttl-count-on", "forst", false));
                cs.add(new Case("forst-" + k + "--ttl-last-off", CATALOGUE, "savepoints/forst-" + k, "ttl-last-off", "forst", false));
                cs.add(new Case("forst-" + k + "--none", CATALOGUE, "savepoints/forst-" + k, "none", "forst", false));
                cs.add(new Case("forst-" + k + "--to-rocksdb", CATALOGUE, "savepoints/forst-" + k, "none", "rocksdb", false));
                cs.add(new Case("forst-" + k + "--to-hashmap", CATALOGUE, "savepoints/forst-" + k, "none", "hashmap", false));
                cs.add(new Case("rocksdb-" + k + "--to-forst", CATALOGUE, "savepoints/rocksdb-" + k, "none", "forst", false));
            }
            // the heap backend's snapshots (all full ones) into ForSt
            for (String k : KINDS) cs.add(new Case("hashmap-" + k + "--to-forst", CATALOGUE, "savepoints/hashmap-" + k, "none", "forst", false));
        }
        // POJO, Kryo and Avro state: each schema edit from a canonical savepoint of each backend
        for (String b : BACKENDS) {
            String snap = TYPES.prefix() + b + "-canonical";
            cs.add(new Case(snap + "--none", TYPES, "savepoints/" + snap, "none", b, false));
            for (String e : TypesJob.EDITS) cs.add(new Case(snap + "--" + e, TYPES, "savepoints/" + snap, e, b, false));
        }
        cs.add(new Case("types-hashmap-canonical--to-rocksdb", TYPES, "savepoints/types-hashmap-canonical", "none", "rocksdb", false));
        // ForSt: the canonical savepoint of RocksDB restored into it, unedited and with each schema edit
        // (whether ForSt migrates state)
        if (FORST) {
            cs.add(new Case("types-rocksdb-canonical--to-forst", TYPES, "savepoints/types-rocksdb-canonical", "none", "forst", false));
            for (String e : TypesJob.EDITS) cs.add(new Case("types-rocksdb-canonical--to-forst--" + e, TYPES, "savepoints/types-rocksdb-canonical", e, "forst", false));
            // and ForSt's own native savepoint with each schema edit (whether ForSt migrates state)
            cs.add(new Case("types-forst-native--none", TYPES, "savepoints/types-forst-native", "none", "forst", false));
            for (String e : TypesJob.EDITS) cs.add(new Case("types-forst-native--" + e, TYPES, "savepoints/types-forst-native", e, "forst", false));
        }
        // SQL: each query or column-type edit from a canonical savepoint of each backend; with -n on hashmap
        for (String b : BACKENDS) {
            String snap = SQL.prefix() + b + "-canonical";
            cs.add(new Case(snap + "--none", SQL, "savepoints/" + snap, "none", b, false));
            for (String e : SqlJob.EDITS) cs.add(new Case(snap + "--" + e, SQL, "savepoints/" + snap, e, b, false));
        }
        for (String e : SqlJob.EDITS) cs.add(new Case("sql-hashmap-canonical--" + e + "--n", SQL, "savepoints/sql-hashmap-canonical", e, "hashmap", true));
        // SQL on the asynchronous state API with ForSt: each snapshot kind restored into ForSt, RocksDB and hashmap
        if (FORST) {
            for (String k : SQL_ASYNC.kinds()) {
                String snap = SQL_ASYNC.prefix() + "forst-" + k;
                cs.add(new Case(snap + "--none", SQL_ASYNC, "savepoints/" + snap, "none", "forst", false));
                cs.add(new Case(snap + "--to-rocksdb", SQL_ASYNC, "savepoints/" + snap, "none", "rocksdb", false));
                cs.add(new Case(snap + "--to-hashmap", SQL_ASYNC, "savepoints/" + snap, "none", "hashmap", false));
            }
        }
        cs.add(new Case("sql-hashmap-canonical--to-rocksdb", SQL, "savepoints/sql-hashmap-canonical", "none", "rocksdb", false));
        // in-flight data of an unaligned checkpoint: each parallelism and partitioner edit
        String ua = UNALIGNED.prefix() + "hashmap-checkpoint";
        cs.add(new Case(ua + "--none", UNALIGNED, "savepoints/" + ua, "none", "hashmap", false));
        for (String e : UnalignedJob.EDITS) {
            cs.add(new Case(ua + "--" + e, UNALIGNED, "savepoints/" + ua, e, "hashmap", false));
            if (loses(e)) cs.add(new Case(ua + "--" + e + "--n", UNALIGNED, "savepoints/" + ua, e, "hashmap", true));
        }
        return cs;
    }

    /** Edits after which some operator's state has no operator in the new job. */
    static boolean loses(String e) {
        return e.startsWith("remove-") || e.equals("rename-uid-count") || e.equals("rename-uid-buffer") || e.equals("rename-uid-slow")
                || e.equals("noid-gets-uid") || e.equals("add-stateless-before-noid") || e.equals("parallelism-noid-1")
                || e.equals("break-chain-buffer") || e.equals("start-chain-buffer") || e.equals("disable-chaining")
                || e.equals("slot-sharing-noid") || e.equals("maxpar-count-256");
    }

    void start() throws Exception {
        Configuration conf = new Configuration();
        set(conf, "rest.bind-port", "0");
        set(conf, "taskmanager.memory.managed.size", "128m");
        set(conf, "taskmanager.memory.network.min", "64m");
        set(conf, "taskmanager.memory.network.max", "64m");
        // small network buffers, few per channel: the unaligned job's backpressured exchanges then hold a few
        // KiB each, which an aligned barrier (on a pointwise or broadcast edge) passes in seconds (the other jobs
        // send 10 records a second)
        set(conf, "taskmanager.memory.segment-size", "4kb");
        set(conf, "taskmanager.network.memory.buffers-per-channel", "1");
        set(conf, "taskmanager.network.memory.floating-buffers-per-gate", "2");
        set(conf, "restart-strategy.type", "none");
        set(conf, "state.checkpoints.dir", work.resolve("checkpoints").toUri().toString());
        set(conf, "execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
        mc = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(8).build());
        mc.start();
    }

    static void set(Configuration c, String k, String v) {
        c.set(ConfigOptions.key(k).stringType().noDefaultValue(), v);
    }

    /** The job configuration: the state backend, checkpoints every hour (the oracle triggers its own) and
     * retained on cancellation. */
    Configuration jobConf(String backend) {
        Configuration c = new Configuration();
        set(c, "state.backend.type", backend);
        set(c, "execution.checkpointing.interval", "1 h");
        set(c, "execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        set(c, "state.checkpoints.dir", work.resolve("checkpoints").toUri().toString());
        set(c, "execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString());
        set(c, "parallelism.default", "2");
        return c;
    }

    /** The configuration of a job of the catalogue: jobConf, and for the unaligned job unaligned checkpoints (by
     * the key of Flink 1.x and by its successor, which 2.0+ reads, too). */
    Configuration jobConf(Job j, String backend) {
        Configuration c = jobConf(backend);
        if (j == UNALIGNED) {
            set(c, "execution.checkpointing.unaligned", "true");
            set(c, "execution.checkpointing.unaligned.enabled", "true");
        }
        return c;
    }

    /** The states each operator of the catalogue job registers under an edit, as CatalogueJob declares them,
     * in spcheck's serializer vocabulary (docs/state-rules.md): {name, kind, keyed, serializer, ttl}. */
    static Map<String, List<String[]>> states(String e) {
        Map<String, List<String[]>> m = new LinkedHashMap<>();
        List<String[]> count = new ArrayList<>();
        String cn = e.equals("rename-state-count") ? "counter" : "count";
        if (e.equals("kind-count-list")) count.add(new String[] {cn, "list", "true", "Long keyed by Long", null});
        else if (e.equals("type-count-string")) count.add(new String[] {cn, "value", "true", "String keyed by Long", null});
        else count.add(new String[] {cn, "value", "true", "Long keyed by Long", e.equals("ttl-count-on") ? "1 h" : null});
        if (e.equals("add-state-extra")) count.add(new String[] {"extra", "value", "true", "Long", null});
        m.put(e.equals("rename-name-count") ? "Count per key" : "Count", count);
        List<String[]> coll = new ArrayList<>();
        if (e.equals("kind-history-value")) coll.add(new String[] {"history", "value", "true", "Long", null});
        else if (!e.equals("drop-state-history")) coll.add(new String[] {"history", "list", "true", "Long", null});
        coll.add(new String[] {"per-value", "map", "true", e.equals("type-permap-string") ? "Map<Long, String>" : "Map<Long, Long>", null});
        coll.add(new String[] {"sum", "reducing", "true", "Long keyed by Long", null});
        coll.add(new String[] {"max", "aggregating", "true", "Long", null});
        m.put("Collections", coll);
        m.put("Timers", List.<String[]>of(new String[] {"last", "value", "true", "Long keyed by Long", e.equals("ttl-last-off") ? null : "1 h"}));
        m.put("Added", List.<String[]>of(new String[] {"added", "value", "true", "Long keyed by Long", null}));
        m.put("No uid", List.<String[]>of(new String[] {"seen", "value", "true", "Boolean keyed by Long", null}));
        m.put("Buffer", List.of(
                new String[] {"buffer", e.equals("kind-buffer-union") ? "union-list" : "list", "false", "Long", null},
                new String[] {"offsets", e.equals("kind-offsets-list") ? "list" : "union-list", "false", "Long", null}));
        m.put("Enrich", List.of(
                new String[] {"hits", "value", "true", "Long keyed by Long", null},
                new String[] {"rules", "broadcast", "false", e.equals("type-rules-long") ? "Map<Long, Long>" : "Map<Long, String>", null}));
        return m;
    }

    static String[] jobArgs(String edit) {
        return new String[] {"--edit", edit};
    }

    /** Runs a job unedited with each backend and keeps the snapshot kinds it takes: a canonical savepoint, and
     * for the catalogue job also a native one and a retained checkpoint. */
    void snapshots(Job j) throws Exception {
        snapshots(j, snapshotBackends(j), j.kinds());
        if (FORST && j == CATALOGUE) snapshots(j, new String[] {"forst"}, new String[] {"native", "checkpoint"});
        if (FORST && j == TYPES) snapshots(j, new String[] {"forst"}, new String[] {"native"});
    }

    void snapshots(Job j, String[] backends, String[] jobKinds) throws Exception {
        Path dir = out.resolve("savepoints");
        Files.createDirectories(dir);
        for (String b : backends) {
            for (String k : jobKinds) deleteTree(dir.resolve(j.prefix() + b + "-" + k));
        }
        for (String b : backends) {
            GraphTool.Result r = GraphTool.extract(null, j.entry(), jobArgs("none"), jobConf(j, b), 2);
            JobGraph jg = r.jobGraph;
            addJars(j, "none", jg);
            JobID id = jg.getJobID();
            mc.submitJob(jg).get();
            if (!awaitCheckpoint(id, 120)) {
                throw new IllegalStateException(j.entry() + " ended before its first checkpoint", failure(id));
            }
            Thread.sleep(3000);
            if (mc.getJobStatus(id).get().isGloballyTerminalState()) {
                throw new IllegalStateException(j.entry() + " with " + b + " ended after its first checkpoint", failure(id));
            }
            List<String> kinds = Arrays.asList(jobKinds);
            if (kinds.contains("canonical")) copy(savepoint(id, j.entry() + " with " + b, SavepointFormatType.CANONICAL, false), dir.resolve(j.prefix() + b + "-canonical"));
            if (kinds.contains("native")) copy(savepoint(id, j.entry() + " with " + b, SavepointFormatType.NATIVE, false), dir.resolve(j.prefix() + b + "-native"));
            if (kinds.contains("checkpoint")) copy(Path.of(uriPath(mc.triggerCheckpoint(id).get())), dir.resolve(j.prefix() + b + "-checkpoint"));
            mc.cancelJob(id).get();
            awaitTerminal(id, 60);
            Files.writeString(dir.resolve("graph-" + j.prefix() + b + ".json"), r.manifest);
        }
    }

    /** What Flink did restoring a job: restored, refused or failed, its last message and the chain of causes. */
    record Restore(String outcome, String message, List<String> causes) {}

    /** Waits for a restored job: restored once a checkpoint completes (then it is cancelled), else refused (the
     * JobMaster did not start: JobInitializationException) or failed, with the job's failure. */
    Restore awaitRestore(JobID id) throws Exception {
        if (awaitCheckpoint(id, 120)) {
            mc.cancelJob(id).get();
            awaitTerminal(id, 60);
            return new Restore("restored", "", List.of());
        }
        Throwable t = failure(id);
        String outcome = "failed", message = "";
        List<String> causes = new ArrayList<>();
        for (int d = 0; t != null && d < 12; d++, t = t.getCause()) {
            String cls = t.getClass().getName();
            if (t instanceof org.apache.flink.util.SerializedThrowable) cls = ((org.apache.flink.util.SerializedThrowable) t).getOriginalErrorClassName();
            if (cls.endsWith("JobInitializationException")) outcome = "refused";
            String m = clean(String.valueOf(t.getMessage()));
            causes.add(cls.substring(cls.lastIndexOf('.') + 1) + ": " + m);
            if (t.getMessage() != null) message = m;
        }
        return new Restore(outcome, message, causes);
    }

    /** The exception a job ended with (null when it did not fail). */
    Throwable failure(JobID id) throws Exception {
        return mc.requestJobResult(id).get().getSerializedThrowable().map(t -> t.deserializeError(Oracle.class.getClassLoader())).orElse(null);
    }

    /** Takes a savepoint of the job (stopping it with terminate) and returns its directory; when the savepoint
     * fails, the job's own failure says why. */
    Path savepoint(JobID id, String what, SavepointFormatType format, boolean terminate) throws Exception {
        try {
            return Path.of(uriPath(mc.triggerSavepoint(id, work.resolve("sp").toUri().toString(), terminate, format).get()));
        } catch (java.util.concurrent.ExecutionException ex) {
            awaitTerminal(id, 60);
            Throwable t = failure(id);
            throw new IllegalStateException(what + " failed its " + format.name().toLowerCase() + " savepoint", t != null ? t : ex);
        }
    }

    /**
     * Retained checkpoints of the catalogue job with checkpoint file merging on (FLIP-306, Flink 1.20+:
     * execution.checkpointing.file-merging.enabled), with hashmap and RocksDB: DIR/&lt;backend&gt;-checkpoint/_metadata.
     * The state is in segments of files the job's checkpoint directory shares, which the metadata names by absolute
     * path: only the metadata is kept, for what spcheck reads of it (segment handles), not for restores.
     */
    void fileMerging() throws Exception {
        // 1.19 has the classes but not the option: its checkpoints hold no segments
        String[] v = EnvironmentInformation.getVersion().split("\\.");
        if (Integer.parseInt(v[0]) == 1 && Integer.parseInt(v[1]) < 20) {
            // (scripts/oracle.sh filters this output with grep, which fails on none)
            System.out.println("file merging: none before Flink 1.20, which has no checkpoint file merging");
            return;
        }
        for (String b : BACKENDS) {
            Configuration conf = jobConf(b);
            set(conf, "execution.checkpointing.file-merging.enabled", "true");
            GraphTool.Result r = GraphTool.extract(null, CATALOGUE.entry(), jobArgs("none"), conf, 2);
            JobID id = r.jobGraph.getJobID();
            mc.submitJob(r.jobGraph).get();
            if (!awaitCheckpoint(id, 120)) throw new IllegalStateException("the catalogue job with file merging ended before its first checkpoint", failure(id));
            Thread.sleep(3000);
            Path chk = Path.of(uriPath(mc.triggerCheckpoint(id).get()));
            Path to = out.resolve(b + "-checkpoint");
            deleteTree(to);
            Files.createDirectories(to);
            Files.copy(chk.resolve("_metadata"), to.resolve("_metadata"));
            mc.cancelJob(id).get();
            awaitTerminal(id, 60);
            System.out.println("file merging: " + to);
            // Restores from it while its files are there: unedited, with file merging off, and without the stateless
            // Parse (whose subtasks hold empty segment handles), with and without -n: to/restores/<name>/
            // {graph.json, args, outcome.json}
            String[][] restores = {{"none", "none", "on", ""}, {"none--merging-off", "none", "off", ""},
                {"remove-parse", "remove-parse", "on", ""}, {"remove-parse--n", "remove-parse", "on", "-n"}};
            for (String[] rs : restores) {
                Configuration rc = jobConf(b);
                if (rs[2].equals("on")) set(rc, "execution.checkpointing.file-merging.enabled", "true");
                GraphTool.Result rr = GraphTool.extract(null, CATALOGUE.entry(), jobArgs(rs[1]), rc, 2, states(rs[1]));
                rr.jobGraph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(chk.toUri().toString(), !rs[3].isEmpty()));
                JobID rid = rr.jobGraph.getJobID();
                mc.submitJob(rr.jobGraph).get();
                Restore outcome = awaitRestore(rid);
                Path rd = to.resolve("restores/" + rs[0]);
                Files.createDirectories(rd);
                Files.writeString(rd.resolve("graph.json"), rr.manifest);
                Files.writeString(rd.resolve("args"), (rs[3].isEmpty() ? "" : "--allow-non-restored-state\n"));
                Json oj = new Json().open('{');
                oj.field("flink").str(EnvironmentInformation.getVersion());
                oj.field("outcome").str(outcome.outcome());
                // (the job's ID in the checkpoint's path differs from run to run)
                oj.field("message").str(outcome.message().replaceAll("checkpoints/[0-9a-f]{32}/", "checkpoints/<job>/"));
                Files.writeString(rd.resolve("outcome.json"), oj.close('}') + "\n");
                System.out.printf("file merging: %s-checkpoint %-20s %s %s%n", b, rs[0], outcome.outcome(),
                        outcome.message().length() > 100 ? outcome.message().substring(0, 100) : outcome.message());
            }
        }
    }

    /**
     * Real files for the sink's upsert materializer (SinkJob): for each variant of this Flink version, its
     * compiled plan (DIR/&lt;variant&gt;/plan/&lt;variant&gt;.json) and a canonical savepoint of the plan's job with
     * the hashmap backend (DIR/&lt;variant&gt;/savepoint/), laid out as Flink's table-restore test resources; then
     * each variant's job restored from every variant's savepoint with each backend, and what Flink did
     * (DIR/&lt;variant&gt;/restores.json: savepoint variant to backend to outcome and message).
     */
    void sinkFiles() throws Exception {
        java.util.Set<String> names = SinkJob.variants(EnvironmentInformation.getVersion()).keySet();
        if (names.isEmpty()) {
            // (scripts/oracle.sh filters this output with grep, which fails on none)
            System.out.println("sink files: none before Flink 2.2, which has one sink materializer");
            return;
        }
        for (String v : names) {
            Path dir = out.resolve(v);
            deleteTree(dir);
            Path plan = dir.resolve("plan/" + v + ".json");
            GraphTool.Result r = GraphTool.extract(null, SinkJob.class.getName(), new String[] {"--variant", v, "--plan", plan.toString()}, jobConf("hashmap"), 2);
            JobID id = r.jobGraph.getJobID();
            mc.submitJob(r.jobGraph).get();
            if (!awaitCheckpoint(id, 120)) {
                throw new IllegalStateException("the sink job " + v + " ended before its first checkpoint", failure(id));
            }
            Thread.sleep(3000);
            copy(savepoint(id, "the sink job " + v, SavepointFormatType.CANONICAL, true), dir.resolve("savepoint"));
            awaitTerminal(id, 60);
            System.out.println("sink files: " + v);
        }
        for (String v : names) {
            Json j = new Json().open('{');
            for (String from : names) {
                j.field(from).open('{');
                for (String b : BACKENDS) {
                    GraphTool.Result r = GraphTool.extract(null, SinkJob.class.getName(),
                            new String[] {"--variant", v, "--plan", work.resolve("plans/" + v + ".json").toString()}, jobConf(b), 2);
                    JobGraph jg = r.jobGraph;
                    jg.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(out.resolve(from + "/savepoint").toUri().toString(), false));
                    JobID id = jg.getJobID();
                    mc.submitJob(jg).get();
                    String outcome = "restored", message = "";
                    if (awaitCheckpoint(id, 120)) {
                        mc.cancelJob(id).get();
                        awaitTerminal(id, 60);
                    } else {
                        outcome = "failed";
                        Throwable t = failure(id);
                        for (int d = 0; t != null && d < 12; d++, t = t.getCause()) {
                            if (t.getMessage() != null) message = clean(t.getMessage());
                        }
                    }
                    j.field(b).open('{').field("outcome").str(outcome).field("message").str(message).close('}');
                    System.out.printf("sink files: %-22s from %-22s %-8s %s %s%n", v, from, b, outcome, message.length() > 100 ? message.substring(0, 100) : message);
                }
                j.close('}');
            }
            Files.writeString(out.resolve(v + "/restores.json"), j.close('}') + "\n");
        }
    }

    /** The types job's classes are in a job JAR per version of them (TypesJob.sources), compiled here with the
     * JDK's compiler; the job graph carries it as a user JAR, as 'flink run' ships a job's JAR. */
    void addJars(Job j, String edit, JobGraph jg) throws IOException {
        if (j != TYPES) return;
        Path jar = typesJars.get(edit);
        if (jar == null) {
            Path src = work.resolve("types-src/" + edit);
            Path classes = work.resolve("types-classes/" + edit);
            Files.createDirectories(classes);
            List<String> opts = new ArrayList<>(List.of("-d", classes.toString(), "--release", "11"));
            for (Map.Entry<String, String> e : TypesJob.sources(edit).entrySet()) {
                Path f = src.resolve(TypesJob.PKG.replace('.', '/')).resolve(e.getKey() + ".java");
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.getValue());
                opts.add(f.toString());
            }
            javax.tools.JavaCompiler jc = javax.tools.ToolProvider.getSystemJavaCompiler();
            if (jc == null) throw new IllegalStateException("the types job needs a JDK (javax.tools) to compile its classes");
            if (jc.run(null, null, System.err, opts.toArray(new String[0])) != 0) throw new IllegalStateException("could not compile the types job's classes for " + edit);
            jar = work.resolve("types-" + edit + ".jar");
            try (java.util.jar.JarOutputStream jo = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(classes)) {
                for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    jo.putNextEntry(new java.util.jar.JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                    jo.write(Files.readAllBytes(p));
                    jo.closeEntry();
                }
            }
            typesJars.put(edit, jar);
        }
        jg.addJar(new org.apache.flink.core.fs.Path(jar.toUri()));
    }

    /** The states the operators of a case's job declare under its edit. The catalogue and types jobs declare
     * theirs in code (states, TypesJob.states); a SQL job's states are the planner's, so they are read, as a
     * user of a SQL job would, from a savepoint of the edited job itself: it runs from scratch until its first
     * checkpoint, and spcheck inspect -o manifest-json --deep lists what that savepoint holds, per operator ID. */
    Map<String, List<String[]>> declared(Case c) throws Exception {
        if (c.job() == CATALOGUE) return states(c.edit());
        if (c.job() == TYPES) return TypesJob.states(c.edit());
        if (c.job() == UNALIGNED) return UnalignedJob.states();
        String key = c.job().prefix() + c.edit();
        Map<String, List<String[]>> m = sqlStates.get(key);
        if (m != null) return m;
        String bin = System.getProperty("spcheck.bin", System.getenv("SPCHECK"));
        if (bin == null || !Files.isExecutable(Path.of(bin))) {
            throw new IllegalStateException("SQL cases need the spcheck binary (-Dspcheck.bin=PATH or SPCHECK=PATH; scripts/oracle.sh builds it)");
        }
        GraphTool.Result r = GraphTool.extract(null, c.job().entry(), jobArgs(c.edit()), jobConf(snapshotBackends(c.job())[0]), 2);
        JobGraph jg = r.jobGraph;
        JobID id = jg.getJobID();
        mc.submitJob(jg).get();
        m = new HashMap<>();
        if (awaitCheckpoint(id, 120)) {
            Thread.sleep(1000);
            // (a native one of the ForSt job: ForSt's asynchronous backend fails a canonical savepoint)
            SavepointFormatType format = c.job() == SQL_ASYNC ? SavepointFormatType.NATIVE : SavepointFormatType.CANONICAL;
            Path sp = savepoint(id, c.job().entry() + " (" + c.edit() + ")", format, true);
            awaitTerminal(id, 60);
            Process p = new ProcessBuilder(bin, "inspect", "-o", "manifest-json", "--deep", sp.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] json = p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) throw new IllegalStateException("spcheck inspect failed on the SQL job's savepoint for " + c.edit());
            var mapper = new org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper();
            for (var op : mapper.readTree(json).path("operators")) {
                // Flink 2.x savepoints keep the uids, and spcheck names those operators by uid
                String opId = op.hasNonNull("uid") ? Murmur3.uidHash(op.get("uid").asText())
                        : op.hasNonNull("uidHash") ? op.get("uidHash").asText() : op.path("id").asText();
                List<String[]> states = new ArrayList<>();
                for (var st : op.path("states")) {
                    states.add(new String[] {st.path("name").asText(), st.path("kind").asText(),
                        st.has("keyed") ? String.valueOf(st.get("keyed").asBoolean()) : null, st.path("serializer").asText(),
                        st.hasNonNull("ttl") ? st.get("ttl").asText() : null, st.hasNonNull("avroSchema") ? st.get("avroSchema").toString() : null});
                }
                if (!states.isEmpty()) m.put("#" + opId, states);
            }
            deleteTree(sp);
        } else {
            awaitTerminal(id, 60);
        }
        sqlStates.put(key, m);
        return m;
    }

    static String uriPath(String p) {
        return p.startsWith("file:") ? java.net.URI.create(p).getPath() : p;
    }

    /** Waits until a checkpoint completes, which needs every task running and restored; false when the job
     * ends first. */
    boolean awaitCheckpoint(JobID id, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            JobStatus st = mc.getJobStatus(id).get();
            if (st.isGloballyTerminalState()) return false;
            if (st == JobStatus.RUNNING) {
                try {
                    mc.triggerCheckpoint(id).get(20, TimeUnit.SECONDS);
                    return true;
                } catch (Exception notYet) {
                    // tasks still deploying or restoring, or failing: look again
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("job " + id + " neither checkpointed nor ended in " + seconds + " s");
    }

    JobStatus awaitTerminal(JobID id, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            JobStatus st = mc.getJobStatus(id).get();
            if (st.isGloballyTerminalState()) return st;
            Thread.sleep(100);
        }
        throw new IllegalStateException("job " + id + " did not end in " + seconds + " s");
    }

    void run(Case c) throws Exception {
        Path dir = out.resolve(c.name());
        deleteTree(dir);
        Files.createDirectories(dir);
        Path snap = out.resolve(c.snapshot()).normalize();
        String snapName = snap.getFileName().toString();
        GraphTool.Result r = GraphTool.extract(null, c.job().entry(), jobArgs(c.edit()), jobConf(c.job(), c.backend()), 2, declared(c));
        JobGraph jg = r.jobGraph;
        addJars(c.job(), c.edit(), jg);
        jg.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(snap.toUri().toString(), c.allowNonRestored()));
        JobID id = jg.getJobID();
        long t0 = System.nanoTime();
        mc.submitJob(jg).get();
        Restore rs = awaitRestore(id);
        String outcome = rs.outcome(), message = rs.message();
        List<String> causes = rs.causes();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        List<String> dropped = outcome.equals("restored") ? dropped(snap, jg) : List.of();
        Files.writeString(dir.resolve("graph.json"), r.manifest);
        // the graph declares the operators' states, so spcheck checks them (--deep) as a user would
        Files.writeString(dir.resolve("args"), "--deep\n" + (c.allowNonRestored() ? "--allow-non-restored-state\n" : ""));
        Json cj = new Json().open('{');
        cj.field("job").str(c.job().entry());
        cj.field("jobArgs").str(String.join(" ", jobArgs(c.edit())));
        cj.field("edit").str(c.edit());
        cj.field("savepoint").str("../" + c.snapshot());
        cj.field("snapshotFlink").str(c.snapshot().startsWith("../") ? c.snapshot().split("/")[1] : EnvironmentInformation.getVersion());
        String bk = snapName.substring(c.job().prefix().length());
        cj.field("snapshotBackend").str(bk.substring(0, bk.indexOf('-')));
        cj.field("snapshotKind").str(bk.substring(bk.indexOf('-') + 1));
        cj.field("restoreBackend").str(c.backend());
        cj.field("allowNonRestoredState").bool(c.allowNonRestored());
        if (c.job() == SQL || c.job() == SQL_ASYNC) cj.field("declaredStates").str("from a savepoint of the edited job: spcheck inspect -o manifest-json --deep");
        Files.writeString(dir.resolve("case.json"), cj.close('}') + "\n");
        Json oj = new Json().open('{');
        oj.field("flink").str(EnvironmentInformation.getVersion());
        oj.field("outcome").str(outcome);
        oj.field("message").str(message);
        oj.field("causes").open('[');
        for (String s : causes) oj.str(s);
        oj.close(']');
        oj.field("droppedState").open('[');
        for (String s : dropped) oj.str(s);
        oj.close(']');
        Files.writeString(dir.resolve("outcome.json"), oj.close('}') + "\n");
        System.out.printf("%-55s %-9s %5d ms  %s%n", c.name(), outcome, ms, message.length() > 120 ? message.substring(0, 120) : message);
    }

    /** The savepoint operators with state that no operator of the job graph claims (Flink drops their state
     * under --allowNonRestoredState; Checkpoints.loadAndValidateCheckpoint). */
    static List<String> dropped(Path snap, JobGraph jg) throws IOException {
        Set<String> ids = new HashSet<>();
        for (JobVertex v : jg.getVertices()) {
            for (OperatorIDPair p : v.getOperatorIDs()) {
                ids.add(p.getGeneratedOperatorID().toHexString());
                p.getUserDefinedOperatorID().ifPresent(u -> ids.add(u.toHexString()));
            }
        }
        CheckpointMetadata md;
        try (InputStream in = Files.newInputStream(snap.resolve("_metadata"))) {
            md = Checkpoints.loadCheckpointMetadata(new DataInputStream(in), Oracle.class.getClassLoader(), snap.toString());
        }
        Set<String> out = new TreeSet<>();
        for (OperatorState os : md.getOperatorStates()) {
            String id = os.getOperatorID().toHexString();
            if (ids.contains(id)) continue;
            boolean has = os.getCoordinatorState() != null;
            for (OperatorSubtaskState s : os.getStates()) has |= s.hasState();
            if (has) out.add(id);
        }
        return new ArrayList<>(out);
    }

    String clean(String m) {
        m = m.replace(out.toUri().toString(), "").replace("file:" + out + "/", "").replace(out.toString() + "/", "")
                .replace("file:" + out.getParent() + "/", "").replace(out.getParent().toString() + "/", "").replace(work.toString(), "<tmp>")
                .replaceAll("@[0-9a-f]{4,8}\\b", "");
        return m.length() > 1000 ? m.substring(0, 1000) + "…" : m;
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.delete(x);
        }
    }
}
