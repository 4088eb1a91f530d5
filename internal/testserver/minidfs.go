package testserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcheck/spcheck/savepoint/storetest"
)

// MiniDFS is a real HDFS: Hadoop's MiniDFSCluster with one DataNode, in a
// JVM the tests start (the launcher in hdfs-minicluster/, built by
// scripts/hdfs-minicluster.sh). Unlike internal/fakehdfs it is Hadoop's own
// NameNode and DataNode code, so it checks what the fake cannot: HA
// failover, Kerberos and SASL-protected data transfer, and a real
// DataNode's handling of corrupt replicas.
type MiniDFS struct {
	Mode        string   // "plain", "ha", "kerberos" or "kerberos-privacy"
	NameNode    string   // 127.0.0.1:port (all but ha)
	NameService string   // the HA nameservice in ConfDir (ha)
	NameNodes   []string // both NameNodes (ha)
	ConfDir     string   // core-site.xml and hdfs-site.xml for clients: HADOOP_CONF_DIR
	// Kerberos (modes kerberos*): the KDC's krb5.conf, the realm, and a
	// keytab for the user principal flink@REALM.
	Krb5Conf, Realm, Keytab, Principal string

	dir   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	mu    sync.Mutex
	done  chan struct{}
	logs  *tailBuffer
}

// The modes of the cluster: SIMPLE authentication with one NameNode
// ("plain") or an HA pair ("ha"); Kerberos with SASL-authenticated data
// transfer (dfs.data.transfer.protection authentication, "kerberos"), or
// with wire encryption ("kerberos-privacy").
var miniDFSModes = []string{"plain", "ha", "kerberos", "kerberos-privacy"}

var miniDFS = map[string]*Shared[*MiniDFS]{}

func init() {
	for _, mode := range miniDFSModes {
		miniDFS[mode] = NewShared("MiniDFSCluster ("+mode+")", func() (*MiniDFS, error) { return StartMiniDFS(mode) }, func(m *MiniDFS) { m.Close() })
	}
}

// RealHDFS returns this test binary's MiniDFSCluster of the given mode,
// starting it on first use (20 to 60 seconds). Call StopRealHDFS from
// TestMain.
func RealHDFS(t testing.TB, mode string) *MiniDFS {
	t.Helper()
	s, ok := miniDFS[mode]
	if !ok {
		t.Fatalf("testserver: no MiniDFSCluster mode %q", mode)
	}
	return s.Get(t)
}

// StopRealHDFS stops every MiniDFSCluster RealHDFS started.
func StopRealHDFS() {
	for _, s := range miniDFS {
		s.Stop()
	}
}

// StartMiniDFS builds the launcher if needed and starts a cluster.
func StartMiniDFS(mode string) (*MiniDFS, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	build := exec.Command("bash", filepath.Join(root, "scripts", "hdfs-minicluster.sh"), "install")
	var berr strings.Builder
	build.Stderr = &berr
	dirb, err := build.Output()
	if err != nil {
		return nil, fmt.Errorf("building the HDFS test cluster: %v\n%s", err, Tail([]byte(berr.String())))
	}
	cp := strings.TrimSpace(string(dirb))
	java := "java"
	if h := os.Getenv("JAVA_HOME"); h != "" {
		java = filepath.Join(h, "bin", "java")
	}
	dir, err := os.MkdirTemp("", "spcheck-minidfs-")
	if err != nil {
		return nil, err
	}
	m := &MiniDFS{Mode: mode, dir: dir, done: make(chan struct{}), logs: &tailBuffer{max: 64 << 10}}
	args := []string{"-Xmx768m", "-Djava.net.preferIPv4Stack=true",
		"-cp", filepath.Join(cp, "classes") + string(os.PathListSeparator) + filepath.Join(cp, "lib", "*"),
		"spcheck.hdfs.MiniHdfs", "--dir", dir}
	switch mode {
	case "kerberos":
		args = append(args, "--mode", "kerberos", "--protection", "authentication")
	case "kerberos-privacy":
		args = append(args, "--mode", "kerberos", "--protection", "privacy")
	default:
		args = append(args, "--mode", mode)
	}
	m.cmd = exec.Command(java, args...)
	m.cmd.Stderr = m.logs
	if m.stdin, err = m.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	m.out = bufio.NewReader(stdout)
	if err := m.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting java: %w", err)
	}
	go func() { m.cmd.Wait(); close(m.done) }()

	ready := make(chan error, 1)
	go func() { ready <- m.readHeader() }()
	select {
	case err = <-ready:
	case <-time.After(4 * time.Minute):
		err = errors.New("not ready after 4 minutes")
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("MiniDFSCluster (%s): %v\n%s", mode, err, Tail(m.logs.Bytes()))
	}
	return m, nil
}

func (m *MiniDFS) readHeader() error {
	for {
		line, err := m.out.ReadString('\n')
		if err != nil {
			return fmt.Errorf("the launcher exited before it was ready: %v", err)
		}
		line = strings.TrimSpace(line)
		if line == "READY" {
			return nil
		}
		if strings.HasPrefix(line, "ERR ") {
			return errors.New(line[4:])
		}
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "NAMENODE":
			m.NameNode = v
		case "NAMESERVICE":
			m.NameService = v
		case "NAMENODES":
			m.NameNodes = strings.Split(v, ",")
		case "CONF_DIR":
			m.ConfDir = v
		case "KRB5_CONFIG":
			m.Krb5Conf = v
		case "REALM":
			m.Realm = v
		case "KEYTAB":
			m.Keytab = v
		case "PRINCIPAL":
			m.Principal = v
		}
	}
}

// do sends one command and returns what follows its OK.
func (m *MiniDFS) do(cmd string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := io.WriteString(m.stdin, cmd+"\n"); err != nil {
		return "", fmt.Errorf("MiniDFSCluster: %s: %w", cmd, err)
	}
	line, err := m.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("MiniDFSCluster: %s: no answer: %v\n%s", cmd, err, Tail(m.logs.Bytes()))
	}
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "OK"); ok {
		return strings.TrimSpace(rest), nil
	}
	return "", fmt.Errorf("MiniDFSCluster: %s: %s", cmd, strings.TrimPrefix(line, "ERR "))
}

// Put copies the local file or directory tree local to the HDFS path
// remote (as the HDFS superuser; files are world-readable).
func (m *MiniDFS) Put(t testing.TB, local, remote string) {
	t.Helper()
	abs, err := filepath.Abs(local)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.do("put " + abs + " " + remote); err != nil {
		t.Fatal(err)
	}
}

// PutFiles writes files (name → content) under the HDFS directory remote.
func (m *MiniDFS) PutFiles(t testing.TB, remote string, files map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	storetest.WriteFiles(t, dir, files)
	m.Put(t, dir, remote)
}

// Symlink creates the HDFS symbolic link link pointing at target (which
// need not exist), as a user of a cluster with symbolic links enabled can.
func (m *MiniDFS) Symlink(t testing.TB, target, link string) {
	t.Helper()
	if _, err := m.do("symlink " + target + " " + link); err != nil {
		t.Fatal(err)
	}
}

// Corrupt corrupts the DataNode's replica of the first block of the file
// remote, as a failing disk would; the checksums stay as they were.
func (m *MiniDFS) Corrupt(t testing.TB, remote string) {
	t.Helper()
	if _, err := m.do("corrupt " + remote); err != nil {
		t.Fatal(err)
	}
}

// Failover makes the standby NameNode active and the active one standby.
func (m *MiniDFS) Failover() error {
	_, err := m.do("failover")
	return err
}

// TicketCache writes a ticket cache (MIT format, as kinit writes it) for
// Principal whose ticket lives for lifetime, and returns its end time.
func (m *MiniDFS) TicketCache(t testing.TB, lifetime time.Duration, file string) time.Time {
	t.Helper()
	rest, err := m.do(fmt.Sprintf("ccache %d %s", int(lifetime.Seconds()), file))
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	if _, err := fmt.Sscanf(rest, "endtime=%d", &end); err != nil {
		t.Fatalf("MiniDFSCluster: ccache answered %q", rest)
	}
	return time.Unix(end, 0)
}

// Close stops the cluster (closing stdin makes the launcher shut it down)
// and removes its data.
func (m *MiniDFS) Close() {
	m.stdin.Close()
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
	os.RemoveAll(m.dir)
}

// moduleRoot is the directory of go.mod above the working directory (a
// test runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if len(w.b) > w.max {
		w.b = append(w.b[:0], w.b[len(w.b)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailBuffer) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.b...)
}
