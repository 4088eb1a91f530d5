package azuriteserver

// # Azurite
//
// Azurite returns an Azure Blob Storage emulator: Azurite's blob service
// (npm package azurite, the version AzuriteVersion names) installed by
// scripts/azurite.sh (make test runs "scripts/azurite.sh install" first)
// and run with Node.js on 127.0.0.1, in memory. $SPCHECK_AZURITE_BIN names
// another azurite-blob entry point.
//
// One Azurite process serves a whole test binary: it starts on the first
// call and is stopped by StopAzurite, which TestMain should call after
// m.Run. Tests keep apart by using containers of their own
// (NewContainer). Should a test binary end without StopAzurite, the
// kernel kills the server when the binary exits (Pdeathsig).
//
// Azurite serves path-style URLs, http://127.0.0.1:port/devstoreaccount1/
// container/blob, and checks shared-key signatures against the well-known
// development account key.

import (
	"github.com/spcheck/spcheck/internal/testserver"

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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// AzuriteVersion is the azurite npm version scripts/azurite.sh installs.
const AzuriteVersion = "3.35.0"

// The development storage account every Azurite knows. The key is
// published in Azure's documentation; it is not a secret.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// AzureServer is a running Azure Blob Storage emulator.
type AzureServer struct {
	Endpoint string // blob service URL: http://127.0.0.1:port/devstoreaccount1
	Account  string
	Key      string // base64 shared key

	cmd    *exec.Cmd
	exited chan error
	dir    string
}

var azurite = testserver.NewShared("Azurite", startAzurite, (*AzureServer).stop)

// Azurite returns the Azure server for this test binary, starting it on
// first use. It fails the test when the server cannot be had, in
// particular when Azurite is not installed.
func Azurite(t testing.TB) *AzureServer {
	t.Helper()
	return azurite.Get(t)
}

// StopAzurite stops the Azurite server that Azurite started, if any. Call
// it from TestMain after m.Run.
func StopAzurite() { azurite.Stop() }

// AzuriteBinary returns the path of Azurite's azurite-blob entry point:
// $SPCHECK_AZURITE_BIN, or where scripts/azurite.sh install puts it.
func AzuriteBinary() string {
	if p := os.Getenv("SPCHECK_AZURITE_BIN"); p != "" {
		return p
	}
	return filepath.Join(testserver.CacheDir(), "azurite-"+AzuriteVersion, "node_modules", ".bin", "azurite-blob")
}

func startAzurite() (*AzureServer, error) {
	bin := AzuriteBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no Azurite at %s: run scripts/azurite.sh install (or make test), or set SPCHECK_AZURITE_BIN", bin)
	}
	var lastErr error
	for range 3 { // a free port may be taken before Azurite binds it
		s, err := runAzurite(bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func runAzurite(bin string) (*AzureServer, error) {
	dir, err := os.MkdirTemp("", "spcheck-azurite-")
	if err != nil {
		return nil, err
	}
	port, err := testserver.FreePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "azurite.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin,
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--inMemoryPersistence",
		"--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %v", bin, err)
	}
	s := &AzureServer{
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d/%s", port, AzuriteAccount),
		Account:  AzuriteAccount,
		Key:      AzuriteKey,
		cmd:      cmd,
		dir:      dir,
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logf.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("azurite exited before it was ready (%v); its output:\n%s", err, testserver.Tail(log))
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			// Any HTTP answer means the blob service is up.
			if resp, err := client.Get(s.Endpoint + "?comp=list"); err == nil {
				resp.Body.Close()
				s.exited = exited
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			<-exited
			log, _ := os.ReadFile(logf.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("azurite not ready at %s after 60s; its output:\n%s", addr, testserver.Tail(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends Azurite's process group: the azurite-blob script may have
// started node as a child.
func (s *AzureServer) kill() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
}

func (s *AzureServer) stop() {
	if s.cmd != nil {
		s.kill()
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

// ConnectionString returns a connection string for the server.
func (s *AzureServer) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;", s.Account, s.Key, s.Endpoint)
}

// Client returns a blob client with the account key, for setting up
// tests. Tests must not read through it what the code under test reads.
func (s *AzureServer) Client(t testing.TB) *azblob.Client {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(s.Account, s.Key)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	c, err := azblob.NewClientWithSharedKeyCredential(s.Endpoint+"/", cred, nil)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return c
}

var containerSeq atomic.Int64

var notContainerChar = regexp.MustCompile(`[^a-z0-9-]+`)

// NewContainer creates an empty container with a name made from the
// test's and returns the name.
func (s *AzureServer) NewContainer(t testing.TB) string {
	t.Helper()
	name := notContainerChar.ReplaceAllString(strings.ToLower(t.Name()), "-")
	name = regexp.MustCompile(`-+`).ReplaceAllString(name, "-")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t-%s-%d-%d", strings.Trim(name, "-"), os.Getpid()%100000, containerSeq.Add(1))
	s.CreateContainer(t, name)
	return name
}

// CreateContainer creates a container.
func (s *AzureServer) CreateContainer(t testing.TB, name string) {
	t.Helper()
	if _, err := s.Client(t).CreateContainer(context.Background(), name, nil); err != nil {
		t.Fatalf("testserver: create container %s: %v", name, err)
	}
}

// Upload puts files (slash-separated relative paths to contents) under
// prefix in container; an empty prefix means the container root.
func (s *AzureServer) Upload(t testing.TB, container, prefix string, files map[string][]byte) {
	t.Helper()
	c := s.Client(t)
	for name, b := range files {
		k := testserver.JoinKey(prefix, name)
		if _, err := c.UploadStream(context.Background(), container, k, bytes.NewReader(b), nil); err != nil {
			t.Fatalf("testserver: upload %s/%s: %v", container, k, err)
		}
	}
}

// UploadDir uploads the files under localDir to prefix in container.
func (s *AzureServer) UploadDir(t testing.TB, container, prefix, localDir string) {
	t.Helper()
	s.Upload(t, container, prefix, testserver.ReadDir(t, localDir))
}

// Delete removes the blob name from container.
func (s *AzureServer) Delete(t testing.TB, container, name string) {
	t.Helper()
	if _, err := s.Client(t).DeleteBlob(context.Background(), container, name, nil); err != nil {
		t.Fatalf("testserver: delete %s/%s: %v", container, name, err)
	}
}
