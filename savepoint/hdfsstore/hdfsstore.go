// Package hdfsstore is the savepoint driver for hdfs:// locations, built on
// github.com/colinmarc/hdfs/v2. Import it for its side effect:
//
//	import _ "github.com/spcheck/spcheck/savepoint/hdfsstore"
//
// # Locations
//
//   - hdfs://host:port/path reads from the namenode at host:port.
//   - hdfs://name/path, without a port, reads from the nameservice name as
//     configured in $HADOOP_CONF_DIR (or $HADOOP_HOME/etc/hadoop):
//     core-site.xml and hdfs-site.xml. For an HA nameservice the namenodes
//     in dfs.ha.namenodes.name are tried in order, skipping any that is
//     down or standby. A name that is no nameservice means name:8020.
//   - hdfs:///path reads from fs.defaultFS.
//
// # Identity
//
// Under SIMPLE authentication the driver acts as $HADOOP_USER_NAME, or else
// the OS user. When hadoop.security.authentication is kerberos it
// authenticates with gokrb5: with the keytab $SPCHECK_KERBEROS_KEYTAB and
// the principal $SPCHECK_KERBEROS_PRINCIPAL (default: the keytab's first)
// if set, or else the ticket cache kinit wrote ($KRB5CCNAME, FILE type
// only, or /tmp/krb5cc_UID); krb5.conf is $KRB5_CONFIG or /etc/krb5.conf,
// and the namenode's service principal is dfs.namenode.kerberos.principal.
//
// # Failures
//
// A missing path gives an error satisfying errors.Is(err, fs.ErrNotExist),
// a permission failure one satisfying errors.Is(err, fs.ErrPermission).
// Every dial, read and write must make progress within Options.Timeout
// (default 30s), so a namenode or datanode that stops answering gives an
// error naming it, never a hang. The context of Stat, List and Open is
// checked before each call; a call in flight runs to its end or to the
// timeout, as the client cannot abandon it.
//
// # Reading
//
// The driver is read-only: it only stats, lists and reads. Reads go through
// the client in pieces smaller than a checksum chunk (512 bytes), because
// colinmarc/hdfs v2.4.0 returns the bytes of a larger read without error
// when a chunk in it fails its CRC check; read chunk by chunk, every chunk
// is checked before its bytes are returned.
//
// It is tested against Hadoop 3.4.1's MiniDFSCluster (plain, HA with a
// failover, and Kerberized with MiniKdc; minidfs_test.go) and, for fault
// injection, against internal/fakehdfs, a protocol-level NameNode and
// DataNode.
package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/colinmarc/hdfs/v2"
	krb "github.com/jcmturner/gokrb5/v8/client"

	"github.com/spcheck/spcheck/savepoint"
)

// DefaultTimeout bounds each dial, read and write when Options.Timeout is
// zero.
const DefaultTimeout = 30 * time.Second

func init() { savepoint.Register("hdfs", open) }

// Java exceptions the namenode reports.
const (
	fileNotFoundException  = "java.io.FileNotFoundException"
	accessControlException = "org.apache.hadoop.security.AccessControlException"
	// The NameNode's answer for a path through a symbolic link.
	unresolvedPathException = "org.apache.hadoop.hdfs.protocol.UnresolvedPathException"
	unresolvedLinkException = "org.apache.hadoop.fs.UnresolvedLinkException"
)

// store reads one HDFS cluster.
type store struct {
	client  *hdfs.Client
	krb     *krb.Client // nil under SIMPLE authentication
	host    string      // the location's authority, for messages
	user    string
	timeout time.Duration
	// protection is dfs.data.transfer.protection as configured.
	protection string
	chunk      int // bytes per read through the client, below one checksum chunk

	// The client fetches its data-encryption key, when the cluster
	// encrypts data transfer, on the first block read and without a lock;
	// reads are serialized until one has succeeded.
	firstRead sync.Mutex
	warm      atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

func open(ctx context.Context, u *url.URL, opts savepoint.Options) (savepoint.Store, error) {
	return openStore(ctx, u, opts, osEnviron, time.Now)
}

func openStore(ctx context.Context, u *url.URL, opts savepoint.Options, env environ, now func() time.Time) (*store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hdfsstore: %s: %w", savepoint.Redact(u), err)
	}
	set, err := resolve(u, env)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// ClientOptionsFromConf carries over datanode settings (hostnames,
	// data transfer protection) from the configuration.
	copts := hdfs.ClientOptionsFromConf(set.conf)
	copts.Addresses = set.namenodes
	copts.User = set.user
	copts.NamenodeDialFunc = dialer("namenode", timeout)
	copts.DatanodeDialFunc = dialer("datanode", timeout)
	copts.KerberosClient = nil
	var kc *krb.Client
	if set.kerberos != nil {
		if kc, err = set.kerberos.client(now()); err != nil {
			return nil, err
		}
		copts.KerberosClient = kc
		copts.KerberosServicePrincipleName = set.kerberos.spn
	}
	loc := savepoint.Redact(u)
	c, err := hdfs.NewClient(copts)
	if err != nil {
		if kc != nil {
			kc.Destroy()
		}
		return nil, fmt.Errorf("hdfsstore: %s: cannot connect to %s: %s", loc, set.describe(), clientReason(err))
	}
	s := &store{client: c, krb: kc, host: u.Host, user: c.User(), timeout: timeout, protection: copts.DataTransferProtection}
	// The first call: it proves the namenode answers, and the client
	// caches the defaults, which it would otherwise fetch lazily, without
	// a lock, on the first block read.
	d, err := c.ServerDefaults()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("hdfsstore: %s: %s did not answer: %s", loc, set.describe(), clientReason(err))
	}
	s.chunk = min(d.BytesPerChecksum, 512) - 1
	if s.chunk < 1 {
		s.chunk = 511
	}
	return s, nil
}

// clientReason words an error from the client's connection logic, which
// flattens the last failure into "no available namenodes: …".
func clientReason(err error) string {
	return strings.TrimPrefix(err.Error(), "no available namenodes: ")
}

func (s *store) loc(p string) string {
	return (&url.URL{Scheme: "hdfs", Host: s.host, Path: p}).String()
}

// check returns p cleaned, after checking ctx and that p is absolute.
func (s *store) check(ctx context.Context, op, p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("hdfsstore: %s %q: not an absolute path", op, p)
	}
	p = path.Clean(p)
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("hdfsstore: %s %s: %w", op, s.loc(p), err)
	}
	return p, nil
}

func (s *store) Stat(ctx context.Context, p string) (savepoint.FileInfo, error) {
	p, err := s.check(ctx, "stat", p)
	if err != nil {
		return savepoint.FileInfo{}, err
	}
	var fi os.FileInfo
	err = s.failover(ctx, func() (err error) { fi, err = s.client.Stat(p); return err })
	if err != nil {
		return savepoint.FileInfo{}, s.fail("stat", p, -1, err)
	}
	return info(p, fi), nil
}

// A failover of an HA nameservice can leave colinmarc/hdfs with no
// NameNode to call for a few seconds: it skips a NameNode for 5 s after one
// failed (backoffDuration in its internal/rpc/namenode.go, v2.4.0), so when
// the NameNode that just became active failed shortly before (it was
// standby), the call fails with the standby's StandbyException. Hadoop's
// own client retries failovers with a backoff (dfs.client.failover.max.attempts,
// 15; RetryPolicies.failoverOnNetworkException). The driver retries a call
// that met only standby NameNodes every failoverPause, for at most
// failoverWindow (two of the client's backoff periods) within the timeout.
const (
	failoverPause    = time.Second
	failoverWindow   = 12 * time.Second
	standbyException = "org.apache.hadoop.ipc.StandbyException"
)

func (s *store) failover(ctx context.Context, call func() error) error {
	deadline := time.Now().Add(min(s.timeout, failoverWindow))
	for {
		err := call()
		if err == nil || !isStandby(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(failoverPause):
		}
	}
}

// isStandby tells whether err is a standby NameNode's answer. The client
// flattens it into a string when no NameNode is left to try.
func isStandby(err error) bool {
	var remote hdfs.Error
	if errors.As(err, &remote) && remote.Exception() == standbyException {
		return true
	}
	return strings.Contains(err.Error(), standbyException)
}

func info(p string, fi os.FileInfo) savepoint.FileInfo {
	return savepoint.FileInfo{Name: fi.Name(), Path: p, Size: fi.Size(), IsDir: fi.IsDir(), ModTime: fi.ModTime()}
}

func (s *store) List(ctx context.Context, p string) ([]savepoint.FileInfo, error) {
	p, err := s.check(ctx, "list", p)
	if err != nil {
		return nil, err
	}
	var ents []os.FileInfo
	err = s.failover(ctx, func() (err error) { ents, err = s.client.ReadDir(p); return err })
	if err != nil {
		return nil, s.fail("list", p, -1, err)
	}
	out := make([]savepoint.FileInfo, len(ents))
	for i, e := range ents {
		out[i] = info(joinPath(p, e.Name()), e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

func (s *store) Open(ctx context.Context, p string) (savepoint.Object, error) {
	p, err := s.check(ctx, "open", p)
	if err != nil {
		return nil, err
	}
	var f *hdfs.FileReader
	err = s.failover(ctx, func() (err error) { f, err = s.client.Open(p); return err })
	if err != nil {
		return nil, s.fail("open", p, -1, err)
	}
	if f.Stat().IsDir() {
		f.Close()
		return nil, fmt.Errorf("hdfsstore: open %s: is a directory", s.loc(p))
	}
	return &object{s: s, path: p, size: f.Stat().Size(), f: f}, nil
}

func (s *store) Close() error {
	s.closeOnce.Do(func() {
		err := s.client.Close()
		if s.krb != nil {
			s.krb.Destroy()
		}
		if err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("hdfsstore: closing connection to hdfs://%s: %v", s.host, err)
		}
	})
	return s.closeErr
}

// fail words err from the client for op on p, at offset off of a read if
// off >= 0.
func (s *store) fail(op, p string, off int64, err error) error {
	where := op + " " + s.loc(p)
	if off >= 0 {
		where += fmt.Sprintf(" at offset %d", off)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the client's PathError repeats op and path
	}
	var remote hdfs.Error
	isRemote := errors.As(err, &remote)
	switch {
	case errors.Is(err, fs.ErrNotExist) || isRemote && remote.Exception() == fileNotFoundException:
		return fmt.Errorf("hdfsstore: %s: %w", where, fs.ErrNotExist)
	case errors.Is(err, fs.ErrPermission) || isRemote && remote.Exception() == accessControlException:
		detail := ""
		if isRemote {
			detail = ": " + remoteMessage(remote)
		}
		return fmt.Errorf("hdfsstore: %s: %w for HDFS user %q%s", where, fs.ErrPermission, s.user, detail)
	case isRemote && (remote.Exception() == unresolvedPathException || remote.Exception() == unresolvedLinkException):
		// The NameNode never follows a symbolic link: it answers with
		// UnresolvedPathException and leaves resolving to the client
		// (INodesInPath.resolve, Hadoop 3.4; Hadoop's Java client then
		// re-issues the call with the target). spcheck does not: a link may
		// lead out of the savepoint, anywhere in the cluster or to another
		// file system.
		return fmt.Errorf("hdfsstore: %s: %w (a symbolic link), not read: HDFS symbolic links are not followed", where, savepoint.ErrNotRegular)
	case isRemote:
		return fmt.Errorf("hdfsstore: %s: namenode: %s: %s", where, remote.Exception(), remoteMessage(remote))
	case err.Error() == "invalid checksum": // colinmarc/hdfs's internal errInvalidChecksum
		return fmt.Errorf("hdfsstore: %s: the data does not match its checksum (a corrupt block replica), and no good replica could be read", where)
	case op == "read" && (s.protection == "integrity" || s.protection == "privacy"):
		// Tested against Hadoop 3.4.1's DataNode (savepoint/hdfsstore/minidfs_test.go):
		// the client's SASL handshake succeeds, but it cannot parse the
		// wrapped messages that follow at these levels.
		return fmt.Errorf("hdfsstore: %s: the cluster protects data transfer with dfs.data.transfer.protection=%s, "+
			"which the HDFS client spcheck is built on (colinmarc/hdfs v2.4.0) does not read correctly; "+
			"only 'authentication' works (the client failed with: %s)", where, s.protection, clientReason(err))
	}
	return fmt.Errorf("hdfsstore: %s: %s", where, clientReason(err))
}

// remoteMessage is the first line of a Java exception's message, without
// the class name Hadoop puts in front.
func remoteMessage(e hdfs.Error) string {
	msg, _, _ := strings.Cut(e.Message(), "\n")
	msg = strings.TrimPrefix(msg, e.Exception()+": ")
	if msg == "" {
		return e.Exception()
	}
	return msg
}

// object is an open HDFS file.
type object struct {
	s    *store
	path string
	size int64

	mu     sync.Mutex // the FileReader is not safe for concurrent use
	f      *hdfs.FileReader
	pos    int64 // the FileReader's offset
	closed bool
}

func (o *object) Size() int64 { return o.size }

// ReadAt reads len(b) bytes at off, or up to the end of the file and then
// io.EOF. A file that ends early, or any failure on the way, is an error.
func (o *object) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("hdfsstore: read %s: negative offset %d", o.s.loc(o.path), off)
	}
	want := int64(len(b))
	if off >= o.size {
		if want == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want = min(want, o.size-off)

	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, fmt.Errorf("hdfsstore: read %s: object is closed", o.s.loc(o.path))
	}
	if !o.s.warm.Load() {
		o.s.firstRead.Lock()
		defer o.s.firstRead.Unlock()
	}
	n, err := o.read(b[:want], off)
	if err != nil {
		return n, err
	}
	if n > 0 {
		o.s.warm.Store(true)
	}
	if want < int64(len(b)) {
		return n, io.EOF
	}
	return n, nil
}

func (o *object) read(b []byte, off int64) (int, error) {
	if o.pos != off {
		// FileReader.Seek drops the datanode connection even for a seek to
		// where it is; keep it for sequential reads.
		if _, err := o.f.Seek(off, io.SeekStart); err != nil {
			return 0, o.s.fail("read", o.path, off, err)
		}
		o.pos = off
	}
	n := 0
	for n < len(b) {
		k, err := o.f.Read(b[n:min(n+o.s.chunk, len(b))])
		n += k
		o.pos += int64(k)
		if err == nil && k == 0 {
			err = io.ErrNoProgress
		}
		if err == io.EOF {
			err = fmt.Errorf("the file ended after %d of its %d bytes", o.pos, o.size)
		}
		if err != nil {
			return n, o.s.fail("read", o.path, off+int64(n), err)
		}
	}
	return n, nil
}

func (o *object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	o.f.Close()
	return nil
}
