package hdfsstore_test

// Tests against a real HDFS: Hadoop's own MiniDFSCluster (NameNode and
// DataNode code of Hadoop 3.4.1), started by internal/testserver from the
// launcher in hdfs-minicluster/. The fake server (internal/fakehdfs) stays
// for fault injection; these check that what the fake says of Hadoop holds.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spcheck/spcheck/internal/testserver"
	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopRealHDFS()
	os.Exit(code)
}

var realDirs atomic.Int64

// realDir returns a new directory name on the real cluster for one test.
func realDir(name string) string {
	return fmt.Sprintf("/%s-%d", name, realDirs.Add(1))
}

func readAll(t *testing.T, st savepoint.Store, p string) []byte {
	t.Helper()
	obj, err := st.Open(t.Context(), p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Size()))
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return b
}

// The conformance suite, through the driver, against a real NameNode and
// DataNode under SIMPLE authentication.
func TestRealConformance(t *testing.T) {
	isolate(t, "flink")
	m := testserver.RealHDFS(t, "plain")
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		dir := realDir("conformance")
		m.PutFiles(t, dir, files)
		return openStore(t, "hdfs://"+m.NameNode+dir, 0), dir
	})
}

// An HA nameservice resolved from HADOOP_CONF_DIR, as a Hadoop client
// would: the location names the nameservice, not a NameNode. A failover in
// the middle of a read, and between calls, is survived: the blocks already
// located are read from the DataNode, and the next NameNode call goes to
// the new active NameNode.
func TestRealHAFailover(t *testing.T) {
	isolate(t, "flink")
	m := testserver.RealHDFS(t, "ha")
	t.Setenv("HADOOP_CONF_DIR", m.ConfDir)
	dir := realDir("ha")
	big := randomBytes(3<<20 + 777)
	m.PutFiles(t, dir, map[string][]byte{"sp/_metadata": big, "sp/a/b": []byte("b")})

	for _, loc := range []string{"hdfs://" + m.NameService + dir, "hdfs://" + dir} {
		st := openStore(t, loc, 0)
		obj, err := st.Open(t.Context(), dir+"/sp/_metadata")
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		got := make([]byte, len(big))
		half := len(big) / 2
		if _, err := obj.ReadAt(got[:half], 0); err != nil {
			t.Fatal(err)
		}
		if err := m.Failover(); err != nil {
			t.Fatal(err)
		}
		if _, err := obj.ReadAt(got[half:], int64(half)); err != nil {
			t.Fatalf("%s: read after a failover: %v", loc, err)
		}
		obj.Close()
		if !bytes.Equal(got, big) {
			t.Errorf("%s: bytes read across a failover differ from those written", loc)
		}
		// The next NameNode calls go to the NameNode that is active now.
		ents, err := st.List(t.Context(), dir+"/sp")
		if err != nil {
			t.Fatalf("%s: list after a failover: %v", loc, err)
		}
		if len(ents) != 2 || ents[0].Name != "_metadata" || ents[1].Name != "a" {
			t.Errorf("%s: list after a failover = %v", loc, ents)
		}
		if b := readAll(t, st, dir+"/sp/a/b"); string(b) != "b" {
			t.Errorf("%s: read %q after a failover", loc, b)
		}
		st.Close()
	}
}

// kerberosEnv points the driver at the Kerberized cluster: its client
// configuration (hadoop.security.authentication kerberos, the NameNode's
// principal, dfs.data.transfer.protection privacy) and its KDC.
func kerberosEnv(t *testing.T, m *testserver.MiniDFS) {
	isolate(t, "")
	t.Setenv("HADOOP_CONF_DIR", m.ConfDir)
	t.Setenv("KRB5_CONFIG", m.Krb5Conf)
	t.Setenv("SPCHECK_KERBEROS_KEYTAB", "")
	t.Setenv("SPCHECK_KERBEROS_PRINCIPAL", "")
	t.Setenv("KRB5CCNAME", "")
}

// A Kerberized cluster whose DataNode requires SASL with privacy (wire
// encryption) on data transfer: the driver logs in from a keytab or from a
// ticket cache kinit would write, reads multi-block files, and says
// plainly what is wrong when the principal is unknown or the ticket has
// expired.
func TestRealKerberos(t *testing.T) {
	m := testserver.RealHDFS(t, "kerberos")
	dir := realDir("krb")
	big := randomBytes(2<<20 + 99)
	m.PutFiles(t, dir, map[string][]byte{"sp/_metadata": big})
	loc := "hdfs://" + m.NameNode + dir + "/sp"

	check := func(t *testing.T) {
		t.Helper()
		st := openStore(t, loc, 0)
		defer st.Close()
		if got := readAll(t, st, dir+"/sp/_metadata"); !bytes.Equal(got, big) {
			t.Errorf("read %d bytes that differ from the %d written", len(got), len(big))
		}
		ents, err := st.List(t.Context(), dir+"/sp")
		if err != nil || len(ents) != 1 {
			t.Errorf("list = %v, %v", ents, err)
		}
	}

	t.Run("Keytab", func(t *testing.T) {
		kerberosEnv(t, m)
		t.Setenv("SPCHECK_KERBEROS_KEYTAB", m.Keytab)
		t.Setenv("SPCHECK_KERBEROS_PRINCIPAL", m.Principal)
		check(t)
	})
	t.Run("KeytabFirstPrincipal", func(t *testing.T) {
		kerberosEnv(t, m)
		t.Setenv("SPCHECK_KERBEROS_KEYTAB", m.Keytab)
		check(t)
	})
	t.Run("TicketCache", func(t *testing.T) {
		kerberosEnv(t, m)
		cc := filepath.Join(t.TempDir(), "krb5cc")
		m.TicketCache(t, time.Hour, cc)
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		check(t)
	})
	t.Run("UnknownPrincipal", func(t *testing.T) {
		kerberosEnv(t, m)
		t.Setenv("SPCHECK_KERBEROS_KEYTAB", m.Keytab)
		t.Setenv("SPCHECK_KERBEROS_PRINCIPAL", "nobody@"+m.Realm)
		err := openErr(t, loc, 0)
		t.Logf("error: %v", err)
		if !strings.Contains(err.Error(), "nobody@"+m.Realm) || !strings.Contains(err.Error(), m.Keytab) {
			t.Errorf("error %q does not name the principal and the keytab", err)
		}
	})
	t.Run("ExpiredTicket", func(t *testing.T) {
		kerberosEnv(t, m)
		cc := filepath.Join(t.TempDir(), "krb5cc")
		end := m.TicketCache(t, 10*time.Second, cc)
		time.Sleep(time.Until(end) + time.Second)
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		err := openErr(t, loc, 0)
		t.Logf("error: %v", err)
		if !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "kinit") {
			t.Errorf("error %q does not say the ticket expired and how to renew it", err)
		}
	})
}

// With dfs.data.transfer.protection privacy (or integrity) the client's
// SASL handshake with Hadoop 3.4.1's DataNode succeeds but the wrapped
// messages that follow are not read correctly; the driver says so, naming
// the setting, instead of a bare protobuf error. If this test fails because
// the read succeeds, the client has been fixed: drop the special case in
// store.fail and say so in the README.
func TestRealKerberosPrivacy(t *testing.T) {
	m := testserver.RealHDFS(t, "kerberos-privacy")
	dir := realDir("krbpriv")
	m.PutFiles(t, dir, map[string][]byte{"sp/_metadata": []byte("metadata")})
	kerberosEnv(t, m)
	t.Setenv("SPCHECK_KERBEROS_KEYTAB", m.Keytab)
	st := openStore(t, "hdfs://"+m.NameNode+dir+"/sp", 0)
	defer st.Close()
	if _, err := st.Stat(t.Context(), dir+"/sp/_metadata"); err != nil {
		t.Fatalf("NameNode calls work at every protection level: %v", err)
	}
	obj, err := st.Open(t.Context(), dir+"/sp/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	_, err = obj.ReadAt(make([]byte, 8), 0)
	if err == nil {
		t.Fatal("read with dfs.data.transfer.protection=privacy succeeded: the client now supports it; drop the special case in store.fail")
	}
	if !strings.Contains(err.Error(), "dfs.data.transfer.protection=privacy") || !strings.Contains(err.Error(), "only 'authentication' works") {
		t.Errorf("error %q does not name the setting and what works", err)
	}
}

// TestRealCorruptReplica answers, against a real DataNode, what
// TestClientPassesBadChecksums pins against the fake: a read of a chunk or
// more from a corrupt replica returns the corrupt bytes without an error
// (docs/hdfs-client-checksum-bug.md). It does, so the driver keeps reading
// in pieces smaller than a checksum chunk, and reports the corruption. If
// the client's part of this test fails, the client has been fixed: drop
// the small reads (store.chunk) and this pin.
func TestRealCorruptReplica(t *testing.T) {
	isolate(t, "flink")
	m := testserver.RealHDFS(t, "plain")
	dir := realDir("corrupt")
	data := randomBytes(1 << 20)
	m.PutFiles(t, dir, map[string][]byte{"f": data})
	m.Corrupt(t, dir+"/f")

	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{m.NameNode}, User: "flink"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Open(dir + "/f")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_, rerr := f.ReadAt(buf, 0)
	f.Close()
	if rerr != nil || bytes.Equal(buf, data[:4096]) {
		t.Errorf("colinmarc/hdfs ReadAt(4096) of a corrupt replica: err=%v, bytes as written: %v; "+
			"want the bug of docs/hdfs-client-checksum-bug.md (nil error, corrupt bytes). If the client is fixed, drop the driver's small reads",
			rerr, bytes.Equal(buf, data[:4096]))
	}

	st := openStore(t, "hdfs://"+m.NameNode+dir, 0)
	defer st.Close()
	obj, err := st.Open(t.Context(), dir+"/f")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got := make([]byte, len(data))
	_, err = obj.ReadAt(got, 0)
	if err == nil || !strings.Contains(err.Error(), "does not match its checksum") {
		t.Fatalf("the driver's read of a corrupt replica: %v (bytes as written: %v); want the checksum error", err, bytes.Equal(got, data))
	}
}

// A symbolic link in a savepoint on HDFS (a cluster with links enabled) is
// never followed: the NameNode leaves resolving links to the client, and
// spcheck does not resolve them, so a link cannot lead a read out of the
// savepoint. Opening or stat'ing through one is reported as not a regular
// file, like a FIFO on a local disk, and nothing of the target is read.
func TestRealSymlinkNotFollowed(t *testing.T) {
	isolate(t, "flink")
	m := testserver.RealHDFS(t, "plain")
	dir := realDir("symlink")
	m.PutFiles(t, dir, map[string][]byte{
		"outside/secret":  []byte("SECRET-BYTES"),
		"sp/_metadata":    []byte("meta"),
		"sp/shared/plain": []byte("plain"),
	})
	m.Symlink(t, dir+"/outside/secret", dir+"/sp/shared/link")
	m.Symlink(t, dir+"/outside", dir+"/sp/linkdir")
	st := openStore(t, "hdfs://"+m.NameNode+dir+"/sp", 0)
	defer st.Close()

	if b := readAll(t, st, dir+"/sp/shared/plain"); string(b) != "plain" {
		t.Fatalf("plain file read %q", b)
	}
	for _, p := range []string{dir + "/sp/shared/link", dir + "/sp/linkdir/secret"} {
		obj, err := st.Open(t.Context(), p)
		if err == nil {
			b, _ := io.ReadAll(io.NewSectionReader(obj, 0, obj.Size()))
			obj.Close()
			t.Fatalf("open %s through a symbolic link succeeded and read %d bytes", p, len(b))
		}
		if !errors.Is(err, savepoint.ErrNotRegular) || !strings.Contains(err.Error(), "a symbolic link") || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("open %s: %v; want a not-a-regular-file error naming the symbolic link", p, err)
		}
		if _, err := st.Stat(t.Context(), p); !errors.Is(err, savepoint.ErrNotRegular) {
			t.Errorf("stat %s: %v; want a not-a-regular-file error", p, err)
		}
	}
}
