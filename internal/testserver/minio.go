// Package testserver starts the real servers that the storage tests run
// against. It is used only from tests.
//
// # MinIO
//
// MinIO returns an S3 server: a MinIO process on 127.0.0.1 built by
// scripts/minio.sh (make test runs "scripts/minio.sh install" first), or,
// when SPCHECK_S3_ENDPOINT is set, that server instead (with
// SPCHECK_S3_ACCESS_KEY, SPCHECK_S3_SECRET_KEY and optionally
// SPCHECK_S3_REGION), so that another S3 implementation such as
// versitygw can stand in.
//
// One MinIO process serves a whole test binary: it starts on the first
// call and is stopped by Stop, which TestMain should call after m.Run.
// Starting MinIO takes about a second, and tests keep apart by using
// buckets of their own (NewBucket). Should a test binary end without
// Stop, the kernel kills the server when the binary exits (Pdeathsig).
package testserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MinIOVersion is the MinIO module version scripts/minio.sh builds.
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// Root credentials of the MinIO server. They are test values, not secrets.
const (
	minioAccessKey = "spcheck-root"
	minioSecretKey = "spcheck-root-secret-0123456789"
	minioRegion    = "us-east-1"
)

// S3Server is a running S3 server.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string // admin credentials
	SecretKey string
	Region    string

	cmd      *exec.Cmd  // the MinIO we started; nil for an external server
	exited   chan error // receives when cmd has exited
	dir      string     // its data and log directory
	external bool
}

var minio = NewShared("MinIO", start, (*S3Server).stop)

// MinIO returns the S3 server for this test binary, starting it on first
// use. It fails the test when the server cannot be had, in particular
// when the MinIO binary is not built.
func MinIO(t testing.TB) *S3Server {
	t.Helper()
	return minio.Get(t)
}

// Stop stops the MinIO server that MinIO started, if any, and removes its
// data. Call it from TestMain after m.Run.
func Stop() { minio.Stop() }

// MinIOBinary returns the path of the MinIO binary: $SPCHECK_MINIO_BIN, or
// where scripts/minio.sh install puts it.
func MinIOBinary() string {
	if p := os.Getenv("SPCHECK_MINIO_BIN"); p != "" {
		return p
	}
	return filepath.Join(CacheDir(), "minio-"+MinIOVersion, "minio")
}

func start() (*S3Server, error) {
	if ep := os.Getenv("SPCHECK_S3_ENDPOINT"); ep != "" {
		s := &S3Server{
			Endpoint:  strings.TrimSuffix(ep, "/"),
			AccessKey: os.Getenv("SPCHECK_S3_ACCESS_KEY"),
			SecretKey: os.Getenv("SPCHECK_S3_SECRET_KEY"),
			Region:    os.Getenv("SPCHECK_S3_REGION"),
			external:  true,
		}
		if s.AccessKey == "" || s.SecretKey == "" {
			return nil, fmt.Errorf("SPCHECK_S3_ENDPOINT is set but SPCHECK_S3_ACCESS_KEY or SPCHECK_S3_SECRET_KEY is not")
		}
		if s.Region == "" {
			s.Region = minioRegion
		}
		return s, nil
	}
	bin := MinIOBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no MinIO binary at %s: run scripts/minio.sh install (or make test), or set SPCHECK_MINIO_BIN", bin)
	}
	var lastErr error
	for range 3 { // a free port may be taken before MinIO binds it
		s, err := startMinIO(bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startMinIO(bin string) (*S3Server, error) {
	dir, err := os.MkdirTemp("", "spcheck-minio-")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cport, err := FreePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "server", "--quiet",
		"--address", addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", cport),
		"--certs-dir", filepath.Join(dir, "certs"), filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+minioAccessKey,
		"MINIO_ROOT_PASSWORD="+minioSecretKey,
		"MINIO_REGION="+minioRegion,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
		"HOME="+dir,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %v", bin, err)
	}
	s := &S3Server{
		Endpoint:  "http://" + addr,
		AccessKey: minioAccessKey,
		SecretKey: minioSecretKey,
		Region:    minioRegion,
		cmd:       cmd,
		dir:       dir,
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ready := s.Endpoint + "/minio/health/ready"
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logf.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("minio exited before it was ready (%v); its output:\n%s", err, Tail(log))
		default:
		}
		// health/ready can answer 200 on a loaded machine while the S3 API
		// still answers 503 XMinioServerNotInitialized: wait for both (an
		// anonymous listing is refused with 403 once the API serves).
		if resp, err := client.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if api, err := client.Get(s.Endpoint + "/"); err == nil {
					api.Body.Close()
					if api.StatusCode != http.StatusServiceUnavailable {
						s.exited = exited
						return s, nil
					}
				}
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			log, _ := os.ReadFile(logf.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("minio not ready at %s after 60s; its output:\n%s", ready, Tail(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Tail returns the end of a server's output, for error messages.
func Tail(b []byte) []byte {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return b
}

func (s *S3Server) stop() {
	if s.cmd != nil {
		syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
		}
		s.cmd = nil
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}

// Client returns an S3 client with the admin credentials, for setting up
// tests. Tests must not read through it what the code under test reads.
func (s *S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       s.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

var bucketSeq atomic.Int64

var notBucketChar = regexp.MustCompile(`[^a-z0-9-]+`)

// NewBucket creates an empty bucket with a name made from the test's and
// returns the name.
func (s *S3Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := notBucketChar.ReplaceAllString(strings.ToLower(t.Name()), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t-%s-%d-%d", strings.Trim(name, "-"), os.Getpid()%100000, bucketSeq.Add(1))
	s.CreateBucket(t, name)
	return name
}

// CreateBucket creates a bucket. On an external server, the bucket and
// its objects are deleted when the test ends.
func (s *S3Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("testserver: create bucket %s: %v", name, err)
	}
	if s.external {
		t.Cleanup(func() { s.deleteBucket(t, name) })
	}
}

func (s *S3Server) deleteBucket(t testing.TB, name string) {
	ctx := context.Background()
	c := s.Client()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Logf("testserver: list bucket %s for deletion: %v", name, err)
			return
		}
		for _, o := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key}); err != nil {
				t.Logf("testserver: delete %s/%s: %v", name, aws.ToString(o.Key), err)
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Logf("testserver: delete bucket %s: %v", name, err)
	}
}

// Upload puts files (slash-separated relative paths to contents) under
// prefix in bucket; an empty prefix means the bucket root.
func (s *S3Server) Upload(t testing.TB, bucket, prefix string, files map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	c := s.Client()
	// Eight uploads at a time: trees of thousands of files are put in
	// seconds.
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for name, b := range files {
		k := JoinKey(prefix, name)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket:        aws.String(bucket),
				Key:           aws.String(k),
				Body:          bytes.NewReader(b),
				ContentLength: aws.Int64(int64(len(b))),
			}); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("testserver: upload %s/%s: %v", bucket, k, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}

// UploadDir uploads the files under localDir to prefix in bucket.
func (s *S3Server) UploadDir(t testing.TB, bucket, prefix, localDir string) {
	t.Helper()
	s.Upload(t, bucket, prefix, ReadDir(t, localDir))
}

// JoinKey joins an object-key prefix and a relative name with "/".
func JoinKey(prefix, name string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// Delete removes the object key from bucket.
func (s *S3Server) Delete(t testing.TB, bucket, key string) {
	t.Helper()
	if _, err := s.Client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("testserver: delete %s/%s: %v", bucket, key, err)
	}
}
