package testserver

import (
	"testing"

	"github.com/spcheck/spcheck/internal/fakehdfs"
)

// HDFS serves the directory root as an HDFS file system for the rest of the
// test and returns the NameNode's address (127.0.0.1:port), so that
// hdfs://ADDR/path names root/path. The server is internal/fakehdfs, a
// protocol-level NameNode and DataNode in the test process (not Hadoop),
// with 1 MiB blocks so that files of a few MiB span several; the client
// needs no configuration beyond the address (SIMPLE authentication, any
// user). It is stopped when the test ends.
func HDFS(t testing.TB, root string) (addr string) {
	t.Helper()
	srv, err := fakehdfs.Start(root, fakehdfs.Options{BlockSize: 1 << 20, Logf: t.Logf})
	if err != nil {
		t.Fatalf("testserver: starting HDFS: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("testserver: stopping HDFS: %v", err)
		}
	})
	return srv.Addr()
}
