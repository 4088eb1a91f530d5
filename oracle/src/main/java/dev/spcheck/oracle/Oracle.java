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
import org.apache.flink.runtime.jobmaster.JobResult;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The restore oracle: runs the catalogue job on a MiniCluster of this build's Flink version, takes savepoints
 * (canonical and native) and a retained checkpoint with the hashmap and the RocksDB state backend, then
 * restores each edited job from them and records what Flink did. Usage: Oracle OUT_DIR [CASE_PREFIX].
 * OUT_DIR/savepoints/&lt;snapshot&gt;/ holds the snapshots; OUT_DIR/&lt;case&gt;/ holds case.json (job, edit,
 * snapshot, backend), graph.json (from spcheck-graph), args (spcheck flags) and outcome.json.
 */
public final class Oracle {
    static final String ENTRY = CatalogueJob.class.getName();
    static final String[] BACKENDS = {"hashmap", "rocksdb"};
    static final String[] KINDS = {"canonical", "native", "checkpoint"};

    /** One restore: a snapshot, an edit, the backend to restore with, and -n. */
    record Case(String name, String snapshot /* relative to OUT_DIR */, String edit, String backend, boolean allowNonRestored) {}

    final Path out;
    final Path work;
    MiniCluster mc;

    Oracle(Path out, Path work) {
        this.out = out;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        Path out = null;
        String only = "";
        List<Path> upgradeFrom = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--only") && i + 1 < args.length) only = args[++i];
            else if (args[i].equals("--upgrade-from") && i + 1 < args.length) upgradeFrom.add(Path.of(args[++i]).toAbsolutePath());
            else if (out == null && !args[i].startsWith("-")) out = Path.of(args[i]).toAbsolutePath();
            else {
                System.err.println("usage: Oracle OUT_DIR [--only CASE_PREFIX] [--upgrade-from OTHER_VERSION_DIR]...");
                System.exit(2);
            }
        }
        if (out == null) {
            System.err.println("usage: Oracle OUT_DIR [--only CASE_PREFIX] [--upgrade-from OTHER_VERSION_DIR]...");
            System.exit(2);
        }
        Path work = Files.createTempDirectory("spcheck-oracle");
        Oracle o = new Oracle(out, work);
        try {
            o.start();
            if (!Files.isDirectory(out.resolve("savepoints")) || only.isEmpty()) o.snapshots();
            List<Case> all = new ArrayList<>(cases());
            for (Path from : upgradeFrom) all.addAll(upgradeCases(out, from));
            int n = 0;
            for (Case c : all) {
                if (!c.name().startsWith(only)) continue;
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

    /** Upgrading Flink: the snapshots another version took, restored into this version's job, unedited and
     * with the edits whose outcome may differ between versions. */
    static List<Case> upgradeCases(Path out, Path from) {
        List<Case> cs = new ArrayList<>();
        String v = from.getFileName().toString();
        String rel = out.relativize(from).toString();
        for (String b : BACKENDS) {
            for (String k : KINDS) {
                String snap = rel + "/savepoints/" + b + "-" + k;
                for (String e : new String[] {"none", "remove-count", "ttl-count-on", "ttl-last-off", "kind-count-list"}) {
                    cs.add(new Case("from-" + v + "--" + b + "-" + k + "--" + e, snap, e, b, false));
                }
                cs.add(new Case("from-" + v + "--" + b + "-" + k + "--remove-count--n", snap, "remove-count", b, true));
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
            cs.add(new Case("hashmap-canonical--" + e, "savepoints/hashmap-canonical", e, "hashmap", false));
            if (loses(e)) cs.add(new Case("hashmap-canonical--" + e + "--n", "savepoints/hashmap-canonical", e, "hashmap", true));
        }
        String[] core = {"none", "remove-count", "remove-buffer", "rename-uid-count-with-hash", "maxpar-count-256",
            "parallelism-count-1", "kind-count-list", "ttl-count-on", "type-count-string", "noid-gets-uid"};
        for (String b : BACKENDS) {
            for (String k : KINDS) {
                String snap = b + "-" + k;
                if (snap.equals("hashmap-canonical")) continue;
                for (String e : core) {
                    cs.add(new Case(snap + "--" + e, "savepoints/" + snap, e, b, false));
                    if (loses(e)) cs.add(new Case(snap + "--" + e + "--n", "savepoints/" + snap, e, b, true));
                }
            }
        }
        // switching the state backend
        for (String k : KINDS) {
            cs.add(new Case("hashmap-" + k + "--to-rocksdb", "savepoints/hashmap-" + k, "none", "rocksdb", false));
            cs.add(new Case("rocksdb-" + k + "--to-hashmap", "savepoints/rocksdb-" + k, "none", "hashmap", false));
        }
        return cs;
    }

    /** Edits after which some operator's state has no operator in the new job. */
    static boolean loses(String e) {
        return e.startsWith("remove-") || e.equals("rename-uid-count") || e.equals("rename-uid-buffer")
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

    /** Runs the original job with each backend and keeps a canonical savepoint, a native one and a retained
     * checkpoint of it. */
    void snapshots() throws Exception {
        Path dir = out.resolve("savepoints");
        deleteTree(dir);
        Files.createDirectories(dir);
        for (String b : BACKENDS) {
            GraphTool.Result r = GraphTool.extract(null, ENTRY, jobArgs("none"), jobConf(b), 2);
            JobGraph jg = r.jobGraph;
            JobID id = jg.getJobID();
            mc.submitJob(jg).get();
            awaitCheckpoint(id, 120);
            Thread.sleep(3000);
            copy(Path.of(uriPath(mc.triggerSavepoint(id, work.resolve("sp").toUri().toString(), false, SavepointFormatType.CANONICAL).get())), dir.resolve(b + "-canonical"));
            copy(Path.of(uriPath(mc.triggerSavepoint(id, work.resolve("sp").toUri().toString(), false, SavepointFormatType.NATIVE).get())), dir.resolve(b + "-native"));
            copy(Path.of(uriPath(mc.triggerCheckpoint(id).get())), dir.resolve(b + "-checkpoint"));
            mc.cancelJob(id).get();
            awaitTerminal(id, 60);
            Files.writeString(dir.resolve("graph-" + b + ".json"), r.manifest);
        }
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
        GraphTool.Result r = GraphTool.extract(null, ENTRY, jobArgs(c.edit()), jobConf(c.backend()), 2, states(c.edit()));
        JobGraph jg = r.jobGraph;
        jg.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(snap.toUri().toString(), c.allowNonRestored()));
        JobID id = jg.getJobID();
        String outcome;
        String message = "";
        List<String> causes = new ArrayList<>();
        long t0 = System.nanoTime();
        mc.submitJob(jg).get();
        if (awaitCheckpoint(id, 120)) {
            outcome = "restored";
            mc.cancelJob(id).get();
            awaitTerminal(id, 60);
        } else {
            JobResult res = mc.requestJobResult(id).get();
            Throwable t = res.getSerializedThrowable().map(s -> s.deserializeError(Oracle.class.getClassLoader())).orElse(null);
            outcome = "failed";
            for (int d = 0; t != null && d < 12; d++, t = t.getCause()) {
                String cls = t.getClass().getName();
                if (t instanceof org.apache.flink.util.SerializedThrowable) cls = ((org.apache.flink.util.SerializedThrowable) t).getOriginalErrorClassName();
                if (cls.endsWith("JobInitializationException")) outcome = "refused";
                String m = clean(String.valueOf(t.getMessage()));
                causes.add(cls.substring(cls.lastIndexOf('.') + 1) + ": " + m);
                if (t.getMessage() != null) message = m;
            }
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        List<String> dropped = outcome.equals("restored") ? dropped(snap, jg) : List.of();
        Files.writeString(dir.resolve("graph.json"), r.manifest);
        // the graph declares the operators' states, so spcheck checks them (--deep) as a user would
        Files.writeString(dir.resolve("args"), "--deep\n" + (c.allowNonRestored() ? "--allow-non-restored-state\n" : ""));
        Json cj = new Json().open('{');
        cj.field("job").str(ENTRY);
        cj.field("jobArgs").str(String.join(" ", jobArgs(c.edit())));
        cj.field("edit").str(c.edit());
        cj.field("savepoint").str("../" + c.snapshot());
        cj.field("snapshotFlink").str(c.snapshot().startsWith("../") ? c.snapshot().split("/")[1] : EnvironmentInformation.getVersion());
        cj.field("snapshotBackend").str(snapName.substring(0, snapName.indexOf('-')));
        cj.field("snapshotKind").str(snapName.substring(snapName.indexOf('-') + 1));
        cj.field("restoreBackend").str(c.backend());
        cj.field("allowNonRestoredState").bool(c.allowNonRestored());
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
