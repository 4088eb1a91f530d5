package spcheck.hdfs;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DFSTestUtil;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.MiniDFSNNTopology;
import org.apache.hadoop.hdfs.protocol.ExtendedBlock;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.kerby.kerberos.kerb.client.KrbClient;
import org.apache.kerby.kerberos.kerb.client.KrbOption;
import org.apache.kerby.KOptions;
import org.apache.kerby.kerberos.kerb.type.ticket.TgtTicket;

/**
 * A real HDFS for spcheck's tests, driven over stdin and stdout.
 *
 * <p>Usage: {@code MiniHdfs --mode plain|ha|kerberos --dir DIR [--protection authentication|integrity|privacy]}.
 * It starts Hadoop's MiniDFSCluster with one DataNode on 127.0.0.1 (for {@code ha}, two NameNodes of one
 * nameservice; for {@code kerberos}, Hadoop's MiniKdc too, and the cluster requires Kerberos and protects
 * data transfer), writes the client configuration spcheck reads ({@code core-site.xml},
 * {@code hdfs-site.xml}) into DIR/conf, prints KEY=VALUE lines and then {@code READY}.
 *
 * <p>Then it reads one command a line and answers {@code OK ...} or {@code ERR message}:
 * <ul>
 *   <li>{@code put LOCAL REMOTE}: copy a local file or directory tree into HDFS;</li>
 *   <li>{@code corrupt REMOTE}: corrupt the first block of a file on the DataNode;</li>
 *   <li>{@code failover}: (ha) make the standby NameNode active and the active one standby;</li>
 *   <li>{@code ccache SECONDS FILE}: (kerberos) write a ticket cache for the user principal whose ticket
 *       lives that long;</li>
 *   <li>{@code quit}, or the end of stdin: stop everything and exit.</li>
 * </ul>
 * The Go side (internal/testserver/minidfs.go) closes stdin when its tests end, so the cluster never
 * outlives them.
 */
public final class MiniHdfs {
    private static final String NAMESERVICE = "spcheckns";
    private static final String USER = "flink";

    private final PrintStream out;
    private MiniDFSCluster cluster;
    private MiniKdc kdc;
    private File userKeytab;
    private String userPrincipal;
    private int active;

    private MiniHdfs(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        String mode = opts.getOrDefault("--mode", "plain");
        File dir = new File(opts.getOrDefault("--dir", "minidfs")).getAbsoluteFile();
        String protection = opts.getOrDefault("--protection", "authentication");
        // Our own lines go to the real stdout; everything Hadoop prints goes to stderr.
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        MiniHdfs m = new MiniHdfs(out);
        try {
            m.start(mode, dir, protection);
            m.serve();
        } catch (Throwable e) {
            out.println("ERR " + oneLine(e));
            e.printStackTrace();
        } finally {
            m.stop();
        }
        System.exit(0);
    }

    private void start(String mode, File dir, String protection) throws Exception {
        Files.createDirectories(dir.toPath());
        File conf = new File(dir, "conf");
        Files.createDirectories(conf.toPath());
        Configuration c = new HdfsConfiguration();
        c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(dir, "data").getPath());
        // 1 MiB blocks (the smallest Hadoop allows by default), so that test files span several blocks.
        c.setLong("dfs.blocksize", 1 << 20);
        c.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
        c.set("dfs.datanode.hostname", "127.0.0.1");
        c.setBoolean("dfs.datanode.use.datanode.hostname", false);
        c.set("dfs.permissions.superusergroup", "supergroup");

        Map<String, String> client = new LinkedHashMap<>();
        Map<String, String> info = new LinkedHashMap<>();
        if (mode.equals("kerberos")) {
            kerberize(c, dir, protection, client, info);
        }
        MiniDFSCluster.Builder b = new MiniDFSCluster.Builder(c).numDataNodes(1).checkDataNodeHostConfig(true);
        if (mode.equals("ha")) {
            b.nnTopology(MiniDFSNNTopology.simpleHATopology());
        }
        cluster = b.build();
        cluster.waitActive();
        if (mode.equals("ha")) {
            cluster.transitionToActive(0);
            active = 0;
            String nn0 = "127.0.0.1:" + cluster.getNameNodePort(0);
            String nn1 = "127.0.0.1:" + cluster.getNameNodePort(1);
            client.put("fs.defaultFS", "hdfs://" + NAMESERVICE);
            client.put("dfs.nameservices", NAMESERVICE);
            client.put("dfs.ha.namenodes." + NAMESERVICE, "nn0,nn1");
            client.put("dfs.namenode.rpc-address." + NAMESERVICE + ".nn0", nn0);
            client.put("dfs.namenode.rpc-address." + NAMESERVICE + ".nn1", nn1);
            client.put("dfs.client.failover.proxy.provider." + NAMESERVICE,
                    "org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider");
            info.put("NAMESERVICE", NAMESERVICE);
            info.put("NAMENODES", nn0 + "," + nn1);
        } else {
            String nn = "127.0.0.1:" + cluster.getNameNodePort();
            client.put("fs.defaultFS", "hdfs://" + nn);
            info.put("NAMENODE", nn);
        }
        writeSite(new File(conf, "core-site.xml"), client, true);
        writeSite(new File(conf, "hdfs-site.xml"), client, false);
        info.put("CONF_DIR", conf.getPath());
        for (Map.Entry<String, String> e : info.entrySet()) {
            out.println(e.getKey() + "=" + e.getValue());
        }
        out.println("READY");
    }

    /**
     * Starts a KDC and sets up c as Hadoop's own secure-DataNode tests do (SaslDataTransferTestCase): the
     * NameNode and DataNode log in from a keytab, block access tokens are on, and data transfer is
     * protected with SASL at the given level. ignore.secure.ports.for.testing lets the DataNode use
     * unprivileged ports over plain HTTP instead of requiring HTTPS.
     */
    private void kerberize(Configuration c, File dir, String protection, Map<String, String> client,
            Map<String, String> info) throws Exception {
        File kdcDir = new File(dir, "kdc");
        Files.createDirectories(kdcDir.toPath());
        Properties kconf = MiniKdc.createConf();
        kconf.setProperty(MiniKdc.KDC_BIND_ADDRESS, "127.0.0.1");
        kconf.setProperty(MiniKdc.TRANSPORT, "TCP");
        kdc = new MiniKdc(kconf, kdcDir);
        kdc.start();
        String realm = kdc.getRealm();
        File keytab = new File(kdcDir, "hdfs.keytab");
        kdc.createPrincipal(keytab, "hdfs/localhost", "HTTP/localhost");
        userKeytab = new File(kdcDir, USER + ".keytab");
        kdc.createPrincipal(userKeytab, USER);
        userPrincipal = USER + "@" + realm;
        String hdfsPrincipal = "hdfs/localhost@" + realm;

        c.set("hadoop.security.authentication", "kerberos");
        c.set("dfs.namenode.kerberos.principal", hdfsPrincipal);
        c.set("dfs.namenode.keytab.file", keytab.getPath());
        c.set("dfs.datanode.kerberos.principal", hdfsPrincipal);
        c.set("dfs.datanode.keytab.file", keytab.getPath());
        c.set("dfs.web.authentication.kerberos.principal", "HTTP/localhost@" + realm);
        c.set("dfs.web.authentication.kerberos.keytab", keytab.getPath());
        c.setBoolean("dfs.block.access.token.enable", true);
        c.set("dfs.data.transfer.protection", protection);
        c.set("dfs.http.policy", "HTTP_ONLY");
        c.setBoolean("ignore.secure.ports.for.testing", true);
        UserGroupInformation.setConfiguration(c);
        UserGroupInformation.loginUserFromKeytab(hdfsPrincipal, keytab.getPath());

        client.put("hadoop.security.authentication", "kerberos");
        client.put("dfs.namenode.kerberos.principal", hdfsPrincipal);
        client.put("dfs.data.transfer.protection", protection);
        info.put("KRB5_CONFIG", kdc.getKrb5conf().getPath());
        info.put("REALM", realm);
        info.put("KEYTAB", userKeytab.getPath());
        info.put("PRINCIPAL", userPrincipal);
    }

    private void serve() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 0 || f[0].isEmpty()) {
                continue;
            }
            if (f[0].equals("quit")) {
                out.println("OK");
                return;
            }
            try {
                out.println("OK" + command(f));
            } catch (Throwable e) {
                out.println("ERR " + oneLine(e));
            }
        }
    }

    private String command(String[] f) throws Exception {
        switch (f[0]) {
            case "put": {
                need(f, 3);
                FileSystem fs = cluster.getFileSystem(active);
                Path dst = new Path(f[2]);
                fs.mkdirs(dst.getParent());
                fs.copyFromLocalFile(false, true, new Path(new File(f[1]).toURI()), dst);
                return "";
            }
            case "symlink": {
                // HDFS symbolic links are off unless enabled in the JVM that
                // runs the NameNode (FileSystem.enableSymlinks; the
                // NameNode's createSymlink refuses them otherwise).
                need(f, 3);
                FileSystem.enableSymlinks();
                FileSystem fs = cluster.getFileSystem(active);
                fs.createSymlink(new Path(f[1]), new Path(f[2]), true);
                return "";
            }
            case "corrupt": {
                need(f, 2);
                ExtendedBlock blk = DFSTestUtil.getFirstBlock(cluster.getFileSystem(active), new Path(f[1]));
                cluster.corruptReplica(0, blk);
                return "";
            }
            case "failover": {
                if (cluster.getNumNameNodes() < 2) {
                    throw new IllegalStateException("failover needs --mode ha");
                }
                int next = 1 - active;
                cluster.transitionToStandby(active);
                cluster.transitionToActive(next);
                active = next;
                return " active=nn" + next;
            }
            case "ccache": {
                need(f, 3);
                if (kdc == null) {
                    throw new IllegalStateException("ccache needs --mode kerberos");
                }
                KrbClient kc = new KrbClient(kdc.getKrb5conf().getParentFile());
                kc.init();
                KOptions o = new KOptions();
                o.add(KrbOption.CLIENT_PRINCIPAL, userPrincipal);
                o.add(KrbOption.USE_KEYTAB, true);
                o.add(KrbOption.KEYTAB_FILE, userKeytab);
                o.add(KrbOption.LIFE_TIME, Integer.parseInt(f[1]));
                TgtTicket tgt = kc.requestTgt(o);
                kc.storeTicket(tgt, new File(f[2]));
                return " endtime=" + tgt.getEncKdcRepPart().getEndTime().getTime() / 1000;
            }
            default:
                throw new IllegalArgumentException("unknown command " + f[0]);
        }
    }

    private static void need(String[] f, int n) {
        if (f.length != n) {
            throw new IllegalArgumentException(f[0] + " takes " + (n - 1) + " arguments");
        }
    }

    private void stop() {
        if (cluster != null) {
            cluster.shutdown(true);
            cluster = null;
        }
        if (kdc != null) {
            kdc.stop();
            kdc = null;
        }
    }

    /** Writes the client's configuration: core-site.xml takes the fs.* and hadoop.* keys. */
    private static void writeSite(File f, Map<String, String> all, boolean core) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("<?xml version=\"1.0\"?>");
        lines.add("<configuration>");
        for (Map.Entry<String, String> e : all.entrySet()) {
            boolean isCore = e.getKey().startsWith("fs.") || e.getKey().startsWith("hadoop.");
            if (isCore == core) {
                lines.add("  <property><name>" + e.getKey() + "</name><value>" + e.getValue() + "</value></property>");
            }
        }
        lines.add("</configuration>");
        Files.write(f.toPath(), lines, StandardCharsets.UTF_8);
    }

    private static String oneLine(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        return m.replace('\n', ' ').replace('\r', ' ');
    }
}
