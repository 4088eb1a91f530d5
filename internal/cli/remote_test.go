package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/internal/testserver"
	"github.com/spcheck/spcheck/internal/testserver/azuriteserver"
	"github.com/spcheck/spcheck/internal/testserver/gcsserver"
)

func TestMain(m *testing.M) {
	// No credentials, endpoints or Hadoop settings from the machine.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "AZURE_") || strings.HasPrefix(k, "GOOGLE_") || k == "STORAGE_EMULATOR_HOST" ||
			k == "SPCHECK_AZURE_BLOB_ENDPOINT" || k == "FLINK_CONF_DIR" || k == "HADOOP_CONF_DIR" || k == "HADOOP_HOME" {
			os.Unsetenv(k)
		}
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", "/nonexistent/spcheck-test/aws-config")
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/spcheck-test/aws-credentials")
	os.Setenv("CLOUDSDK_CONFIG", "/nonexistent/spcheck-test/gcloud")
	os.Setenv("GCE_METADATA_HOST", "127.0.0.1:9") // nothing answers
	os.Setenv("NO_GCE_CHECK", "true")
	code := m.Run()
	testserver.Stop()
	azuriteserver.StopAzurite()
	testserver.StopRealHDFS()
	os.Exit(code)
}

// copyTree copies the files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every savepoint of the corpus and the fixtures, uploaded to a real S3
// server (MinIO), the HDFS test server, a GCS emulator (fake-gcs-server)
// and an Azure Storage emulator (Azurite), inspects exactly as its
// local copy does, and checks as its local copy does: the same output
// byte for byte once the location prefix is swapped, and the same exit
// code.
func TestSameOutputOnEveryStore(t *testing.T) {
	s3srv := testserver.MinIO(t)
	bucket := s3srv.NewBucket(t)
	s3srv.UploadDir(t, bucket, "corpus", corpus)
	s3srv.UploadDir(t, bucket, "fixtures", fixtures)
	t.Setenv("AWS_ENDPOINT_URL", s3srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", s3srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3srv.SecretKey)
	t.Setenv("AWS_REGION", s3srv.Region)

	root := t.TempDir()
	copyTree(t, corpus, filepath.Join(root, "corpus"))
	copyTree(t, fixtures, filepath.Join(root, "fixtures"))
	nn := testserver.HDFS(t, root)
	t.Setenv("HADOOP_USER_NAME", "flink")

	gcs := gcsserver.GCS(t)
	gbucket := gcs.NewBucket(t)
	gcs.UploadDir(t, gbucket, "corpus", corpus)
	gcs.UploadDir(t, gbucket, "fixtures", fixtures)
	t.Setenv("STORAGE_EMULATOR_HOST", gcs.Host)

	az := azuriteserver.Azurite(t)
	container := az.NewContainer(t)
	az.UploadDir(t, container, "corpus", corpus)
	az.UploadDir(t, container, "fixtures", fixtures)
	t.Setenv("SPCHECK_AZURE_BLOB_ENDPOINT", az.Endpoint)
	t.Setenv("AZURE_STORAGE_ACCOUNT", az.Account)
	t.Setenv("AZURE_STORAGE_KEY", az.Key)
	abfs := "abfss://" + container + "@" + az.Account + ".dfs.core.windows.net"

	stores := map[string]map[string]string{ // store → local prefix → remote prefix
		"s3":    {corpus: "s3://" + bucket + "/corpus", fixtures: "s3://" + bucket + "/fixtures"},
		"s3a":   {corpus: "s3a://" + bucket + "/corpus", fixtures: "s3a://" + bucket + "/fixtures"},
		"hdfs":  {corpus: "hdfs://" + nn + "/corpus", fixtures: "hdfs://" + nn + "/fixtures"},
		"gs":    {corpus: "gs://" + gbucket + "/corpus", fixtures: "gs://" + gbucket + "/fixtures"},
		"abfss": {corpus: abfs + "/corpus", fixtures: abfs + "/fixtures"},
	}
	remote := func(store, local string) string {
		for l, r := range stores[store] {
			if strings.HasPrefix(local, l) {
				return r + strings.TrimPrefix(local, l)
			}
		}
		t.Fatalf("no remote prefix for %s", local)
		return ""
	}
	unswap := func(store, out string) string {
		for l, r := range stores[store] {
			out = strings.ReplaceAll(out, r, l)
		}
		return out
	}
	compareRun := func(store string, local []string, remoteArgs []string) {
		t.Helper()
		wantOut, wantErr, wantCode := run(local...)
		gotOut, gotErr, gotCode := run(remoteArgs...)
		got, want := unswap(store, gotOut)+unswap(store, gotErr), wantOut+wantErr
		if gotCode != wantCode || got != want {
			t.Errorf("%s: spcheck %s\nexit %d, want %d\n%s", store, strings.Join(remoteArgs, " "), gotCode, wantCode, firstDifference(got, want))
		}
	}

	dirs := metadataDirs(t, corpus, fixtures)
	for store := range stores {
		for _, d := range dirs {
			for _, format := range []string{"text", "json"} {
				compareRun(store, []string{"inspect", "-o", format, d}, []string{"inspect", "-o", format, remote(store, d)})
			}
		}
		// Deep reads: ranged reads of the state-file headers, on
		// savepoints whose state lives in files (RocksDB incremental and
		// native, heap checkpoints, the fixtures with relative files).
		// Not the fixtures v1, v2 and v5: their handles name absolute
		// file: and s3: paths, which are looked up (and missing) only
		// from the store they name.
		for _, d := range dirs {
			foreign := strings.HasSuffix(d, "/versions/v1") || strings.HasSuffix(d, "/versions/v2") || strings.HasSuffix(d, "/versions/v5")
			if strings.Contains(d, "1.19-rocksdb-checkpoint") || strings.Contains(d, "1.18-hashmap-checkpoint") ||
				strings.Contains(d, "1.16-rocksdb-savepoint-native") || strings.Contains(d, "complexKeyed-flink1.3") ||
				strings.HasPrefix(d, fixtures) && !foreign {
				compareRun(store, []string{"inspect", "--deep", "-o", "json", d}, []string{"inspect", "--deep", "-o", "json", remote(store, d)})
			}
		}
		// check with savepoints in the store and graphs local, and with a
		// savepoint of the new job in the store as the graph.
		pairs, _ := filepath.Glob(filepath.Join(corpus, "table-restore", "*", "*"))
		for _, p := range pairs {
			plans, _ := filepath.Glob(filepath.Join(p, "plan", "*.json"))
			compareRun(store, []string{"check", "-o", "json", p + "/savepoint", "--graph", plans[0]},
				[]string{"check", "-o", "json", remote(store, p+"/savepoint"), "--graph", plans[0]})
		}
		sp := fixtures + "/example/savepoint"
		compareRun(store, []string{"check", sp, "--graph", fixtures + "/example/job-v3.json"},
			[]string{"check", remote(store, sp), "--graph", fixtures + "/example/job-v3.json"})
		compareRun(store, []string{"check", "--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-avro-incompatible.json"},
			[]string{"check", "--deep", remote(store, fixtures+"/states/savepoint"), "--graph", fixtures + "/states/job-avro-incompatible.json"})
		compareRun(store, []string{"check", sp, "--graph", sp, "--graph-format", "savepoint"},
			[]string{"check", remote(store, sp), "--graph", remote(store, sp), "--graph-format", "savepoint"})
		// Text tables pad to the longest path, which differs per store: compare
		// the file list as JSON.
		compareRun(store, []string{"inspect", "--files", "-o", "json", sp}, []string{"inspect", "--files", "-o", "json", remote(store, sp)})
	}
	t.Logf("%d savepoints compared on %d stores", len(dirs), len(stores))
}

// On a real HDFS (Hadoop's MiniDFSCluster) a sample of savepoints — heap
// and RocksDB, savepoints and checkpoints, formats 2 to 7 — inspects, deep
// inspects and checks exactly as its local copy does. A sample, not the
// whole corpus: copying 2,000 small files into a MiniDFSCluster takes
// minutes; the whole corpus runs on the protocol-level HDFS server above.
func TestSameOutputOnRealHDFS(t *testing.T) {
	t.Setenv("HADOOP_USER_NAME", "flink")
	hadoop := testserver.RealHDFS(t, "plain")
	sample := []string{
		corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.17-rocksdb-savepoint",
		corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.18-hashmap-checkpoint",
		corpus + "/flink-tests/operatorstate/complexKeyed-flink1.3",
		corpus + "/table-restore/stream-exec-join_1/join-left-join",
		fixtures + "/example",
		fixtures + "/states",
		fixtures + "/versions",
	}
	remote := func(local string) string {
		return "hdfs://" + hadoop.NameNode + "/real" + strings.TrimPrefix(strings.TrimPrefix(local, "../.."), "..")
	}
	for _, d := range sample {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("sample %s: %v", d, err)
		}
		hadoop.Put(t, d, strings.TrimPrefix(remote(d), "hdfs://"+hadoop.NameNode))
	}
	compare := func(local, remoteArgs []string, prefixes ...string) {
		t.Helper()
		wantOut, wantErr, wantCode := run(local...)
		gotOut, gotErr, gotCode := run(remoteArgs...)
		got := gotOut + gotErr
		for _, p := range prefixes {
			got = strings.ReplaceAll(got, remote(p), p)
		}
		if gotCode != wantCode || got != wantOut+wantErr {
			t.Errorf("spcheck %s\nexit %d, want %d\n%s", strings.Join(remoteArgs, " "), gotCode, wantCode, firstDifference(got, wantOut+wantErr))
		}
	}
	dirs := metadataDirs(t, sample...)
	for _, d := range dirs {
		var base string
		for _, s := range sample {
			if strings.HasPrefix(d, s) {
				base = s
			}
		}
		for _, format := range []string{"text", "json"} {
			compare([]string{"inspect", "-o", format, d}, []string{"inspect", "-o", format, remote(d)}, base)
		}
		foreign := strings.HasSuffix(d, "/versions/v1") || strings.HasSuffix(d, "/versions/v2") || strings.HasSuffix(d, "/versions/v5")
		if !foreign {
			compare([]string{"inspect", "--deep", "-o", "json", d}, []string{"inspect", "--deep", "-o", "json", remote(d)}, base)
		}
	}
	pair := corpus + "/table-restore/stream-exec-join_1/join-left-join"
	compare([]string{"check", "-o", "json", pair + "/savepoint", "--graph", pair + "/plan/join-left-join.json"},
		[]string{"check", "-o", "json", remote(pair + "/savepoint"), "--graph", pair + "/plan/join-left-join.json"}, pair)
	sp := fixtures + "/example/savepoint"
	compare([]string{"check", sp, "--graph", fixtures + "/example/job-v3.json"},
		[]string{"check", remote(sp), "--graph", fixtures + "/example/job-v3.json"}, fixtures+"/example")
	compare([]string{"check", "--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-avro-incompatible.json"},
		[]string{"check", "--deep", remote(fixtures + "/states/savepoint"), "--graph", fixtures + "/states/job-avro-incompatible.json"}, fixtures+"/states")
	t.Logf("%d savepoints compared on a real HDFS", len(dirs))
}

// Missing locations on every store are input errors (exit 3) that name the
// location.
func TestMissingRemoteLocations(t *testing.T) {
	s3srv := testserver.MinIO(t)
	bucket := s3srv.NewBucket(t)
	t.Setenv("AWS_ENDPOINT_URL", s3srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", s3srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3srv.SecretKey)
	nn := testserver.HDFS(t, t.TempDir())
	for _, loc := range []string{"s3://" + bucket + "/nope", "hdfs://" + nn + "/nope"} {
		_, stderr, code := run("inspect", loc)
		if code != ExitInput || !strings.Contains(stderr, loc) {
			t.Errorf("inspect %s: exit %d, stderr %q; want exit 3 naming the location", loc, code, stderr)
		}
		if strings.Contains(stderr, s3srv.SecretKey) {
			t.Errorf("the secret key appears in %q", stderr)
		}
	}
}

// firstDifference shows the first line where got and want differ, with
// the lines around it.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		if i < len(g) && i < len(w) && g[i] == w[i] {
			continue
		}
		lo := max(0, i-3)
		return fmt.Sprintf("first difference at line %d\n--- got\n%s\n--- want\n%s", i+1,
			strings.Join(g[lo:min(len(g), i+3)], "\n"), strings.Join(w[lo:min(len(w), i+3)], "\n"))
	}
	return "no difference"
}
