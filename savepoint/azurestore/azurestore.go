// Package azurestore reads savepoints from Azure Storage: Blob Storage and
// Data Lake Storage Gen2. Importing it registers Flink's Azure schemes with
// package savepoint: abfs and abfss (Hadoop's ABFS driver, for accounts
// with or without a hierarchical namespace) and wasb and wasbs (Hadoop's
// older WASB driver).
//
// The driver only ever sends Get Blob, Get Blob Properties and List Blobs
// requests: it never writes, renames or deletes.
//
// # URLs
//
//	abfs[s]://container@account.dfs.core.windows.net/path
//	wasb[s]://container@account.blob.core.windows.net/path
//
// The user part is the container (a file system, in ABFS's words), the
// first label of the host the storage account, the rest of the host the
// service and the cloud's domain (core.windows.net, or a sovereign
// cloud's such as core.chinacloudapi.cn). The path, leading slash
// included, is the store path of the blob ("/path"). A "directory" is a
// name prefix ending in "/" with at least one blob under it, or a
// directory of a hierarchical namespace.
//
// All four schemes are read through the Blob service endpoint,
// https://account.blob.<domain>/container/path, also when the location
// names the dfs endpoint: an account with a hierarchical namespace (what
// ABFS was made for) serves the same data through the Blob API, which has
// all a reader needs (ranged reads, listing by prefix and delimiter,
// properties). Its directories show up as blobs with the metadata
// hdi_isfolder=true, as do the directory markers Hadoop's WASB driver
// writes into flat accounts; the driver treats both as directories, so an
// empty directory exists. Requests always use HTTPS, for wasb:// and
// abfs:// too: Azure accounts require secure transfer by default.
//
// # Configuration
//
// The endpoint is https://account.blob.<domain>/, unless
//
//  1. SPCHECK_AZURE_BLOB_ENDPOINT is set: the blob service URL for every
//     account, e.g. http://127.0.0.1:10000/devstoreaccount1 for Azurite
//     (which serves path-style URLs); or
//  2. AZURE_STORAGE_CONNECTION_STRING is a connection string for the
//     location's account (AccountName=…, or UseDevelopmentStorage=true for
//     Azurite's devstoreaccount1): its BlobEndpoint, or
//     DefaultEndpointsProtocol and EndpointSuffix, apply.
//
// Credentials come from, in order of precedence:
//
//  1. The Flink configuration named by savepoint.Options.FlinkConf, or else
//     $FLINK_CONF_DIR (see savepoint.LoadFlinkConf): the account key
//     fs.azure.account.key.<account>.blob.<domain> or
//     fs.azure.account.key.<account>.dfs.<domain> (the form the location
//     names first), or a container SAS token
//     fs.azure.sas.<container>.<account>.blob.<domain>.
//  2. AZURE_STORAGE_CONNECTION_STRING for the location's account: its
//     AccountKey or SharedAccessSignature.
//  3. AZURE_STORAGE_KEY, when AZURE_STORAGE_ACCOUNT names the location's
//     account or is unset.
//  4. Microsoft Entra ID through azidentity's DefaultAzureCredential: a
//     service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID and
//     AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload
//     identity (AKS), a managed identity, the Azure CLI's or azd's login.
//     The identity needs the role Storage Blob Data Reader.
//
// # Requests, retries and timeouts
//
// Open sends a single Get Blob for the whole blob and reads only its
// headers: that request tells whether the blob exists and its size, and
// its body is kept for the first read. A blob of up to WholeObjectMax
// bytes (64 MiB by default) is read whole by its first ReadAt and served
// from memory afterwards, so Open plus reading a _metadata file costs
// exactly one GET. Larger blobs are read with ranged GETs (x-ms-range,
// If-Match on the ETag seen at Open), reusing the first body for a
// sequential read from offset 0. The objects also implement
// ReadFull(ctx), the whole-object read savepoint.Open uses.
//
// Failed requests are retried by the SDK (3 attempts in all, exponential
// backoff), and a body that breaks off is resumed with a ranged GET, with
// the same bound. Every operation (Stat, one page of List, Open, one
// ReadAt) is bounded by savepoint.Options.Timeout, 30 s by default, so a
// server that stops answering gives an error, never a hang.
//
// # Errors
//
// A missing account, container, blob or prefix gives an error satisfying
// errors.Is(err, fs.ErrNotExist); a refusal (a wrong account key or SAS,
// a missing role, no token to be had) satisfies errors.Is(err,
// fs.ErrPermission) and says where the credentials came from; a timeout
// satisfies errors.Is(err, context.DeadlineExceeded). Messages never hold
// account keys, SAS tokens or access tokens.
package azurestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/internal/objread"
)

// Schemes are the URL schemes the driver registers.
var Schemes = []string{"abfs", "abfss", "wasb", "wasbs"}

func init() {
	for _, s := range Schemes {
		savepoint.Register(s, func(ctx context.Context, u *url.URL, opts savepoint.Options) (savepoint.Store, error) {
			return New(ctx, u, opts, Settings{})
		})
	}
}

// Defaults.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultPageSize       = 5000
	DefaultMaxAttempts    = 3
	DefaultWholeObjectMax = 64 << 20
	maxBackoff            = 5 * time.Second
)

// Environment variables the driver reads besides Azure's own.
const (
	EnvBlobEndpoint     = "SPCHECK_AZURE_BLOB_ENDPOINT"
	EnvConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
	EnvAccount          = "AZURE_STORAGE_ACCOUNT"
	EnvKey              = "AZURE_STORAGE_KEY"
)

// The development account of the Azure Storage emulators; its key is
// published in Azure's documentation.
const (
	devAccount  = "devstoreaccount1"
	devKey      = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	devEndpoint = "http://127.0.0.1:10000/devstoreaccount1"
)

// Settings are driver settings that savepoint.Options does not carry. The
// zero value means the defaults; the registered schemes use it.
type Settings struct {
	// PageSize is the number of blobs asked for per List Blobs request (at
	// most 5000).
	PageSize int32
	// MaxAttempts bounds the attempts of each request, the first included.
	MaxAttempts int
	// WholeObjectMax is the size up to which a blob is read whole by its
	// first read.
	WholeObjectMax int64
}

// ReadFuller is implemented by the Objects the driver's Open returns.
// ReadFull returns the whole blob; when nothing has been read yet it costs
// the GET that Open started and nothing more, and the caller owns the
// returned slice. It is savepoint.FullReader.
type ReadFuller = savepoint.FullReader

// Store is a container.
type Store struct {
	client     *container.Client
	scheme     string
	container  string
	account    string
	host       string // as the location gives it, for messages
	endpoint   string // for messages: the blob service URL
	credSource string // for messages: where the credentials came from
	timeout    time.Duration
	pageSize   int32
	attempts   int
	wholeMax   int64
}

var _ savepoint.Store = (*Store)(nil)

// New connects to the container that u names, configured as the package
// documentation describes. It sends no request.
func New(ctx context.Context, u *url.URL, opts savepoint.Options, set Settings) (*Store, error) {
	s := &Store{
		scheme:   u.Scheme,
		host:     u.Host,
		timeout:  opts.Timeout,
		pageSize: set.PageSize,
		attempts: set.MaxAttempts,
		wholeMax: set.WholeObjectMax,
	}
	if u.User != nil {
		s.container = u.User.Username()
	}
	loc := s.loc("")
	want := fmt.Sprintf("want %s://container@account.%s.core.windows.net/path", u.Scheme, map[bool]string{true: "dfs", false: "blob"}[strings.HasPrefix(u.Scheme, "abfs")])
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return nil, fmt.Errorf("azurestore: open %s: a password in the location is not supported; use the Flink configuration (fs.azure.account.key.<account>.blob.core.windows.net), AZURE_STORAGE_KEY or Microsoft Entra ID", loc)
		}
	}
	if u.RawQuery != "" {
		for k := range u.Query() {
			return nil, fmt.Errorf("azurestore: open %s: invalid query parameter %q", loc, k)
		}
	}
	if s.container == "" || u.Host == "" {
		return nil, fmt.Errorf("azurestore: location %s names no container or account; %s", loc, want)
	}
	if u.Port() != "" {
		return nil, fmt.Errorf("azurestore: location %s: the host has a port; give an emulator's address in %s or %s", loc, EnvBlobEndpoint, EnvConnectionString)
	}
	account, rest, _ := strings.Cut(strings.ToLower(u.Hostname()), ".")
	service, domain, _ := strings.Cut(rest, ".")
	if account == "" || (service != "blob" && service != "dfs") || domain == "" {
		return nil, fmt.Errorf("azurestore: location %s: host %q is not account.blob.<domain> or account.dfs.<domain>; %s", loc, u.Host, want)
	}
	s.account = account
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.pageSize <= 0 || s.pageSize > DefaultPageSize {
		s.pageSize = DefaultPageSize
	}
	if s.attempts <= 0 {
		s.attempts = DefaultMaxAttempts
	}
	if s.wholeMax <= 0 {
		s.wholeMax = DefaultWholeObjectMax
	}

	endpoint := "https://" + account + ".blob." + domain
	cs, err := connectionString(account)
	if err != nil {
		return nil, err
	}
	if cs.endpoint != "" {
		endpoint = cs.endpoint
	}
	if ep := os.Getenv(EnvBlobEndpoint); ep != "" {
		eu, err := url.Parse(ep)
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") {
			return nil, fmt.Errorf("azurestore: %s is not an http(s) URL", EnvBlobEndpoint)
		}
		endpoint = ep
	}
	endpoint = strings.TrimSuffix(endpoint, "/")
	if eu, err := url.Parse(endpoint); err == nil {
		s.endpoint = savepoint.Redact(eu)
	}
	containerURL := endpoint + "/" + url.PathEscape(s.container)

	copts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    int32(s.attempts - 1),
			TryTimeout:    s.timeout,
			RetryDelay:    100 * time.Millisecond,
			MaxRetryDelay: maxBackoff,
		},
		Logging:   policy.LogOptions{IncludeBody: false},
		Telemetry: policy.TelemetryOptions{ApplicationID: "spcheck"},
	}}

	fc, err := loadFlinkAzure(opts.FlinkConf, account, domain, s.container, u.Hostname())
	if err != nil {
		return nil, err
	}
	envKey := ""
	if k := os.Getenv(EnvKey); k != "" {
		if a := os.Getenv(EnvAccount); a == "" || strings.EqualFold(a, account) {
			envKey = k
		}
	}
	switch {
	case fc.key != "":
		s.credSource = "the Flink configuration " + fc.file + " (" + fc.keyName + ")"
		s.client, err = sharedKeyClient(containerURL, account, fc.key, copts)
	case fc.sas != "":
		s.credSource = "the Flink configuration " + fc.file + " (" + fc.keyName + ")"
		s.client, err = container.NewClientWithNoCredential(containerURL+"?"+strings.TrimPrefix(fc.sas, "?"), copts)
	case cs.key != "":
		s.credSource = EnvConnectionString + " (AccountKey)"
		s.client, err = sharedKeyClient(containerURL, account, cs.key, copts)
	case cs.sas != "":
		s.credSource = EnvConnectionString + " (SharedAccessSignature)"
		s.client, err = container.NewClientWithNoCredential(containerURL+"?"+strings.TrimPrefix(cs.sas, "?"), copts)
	case envKey != "":
		s.credSource = EnvKey
		s.client, err = sharedKeyClient(containerURL, account, envKey, copts)
	default:
		s.credSource = "Microsoft Entra ID (DefaultAzureCredential: AZURE_CLIENT_ID and AZURE_TENANT_ID with a secret or certificate, workload identity, managed identity, az login)"
		var cred *azidentity.DefaultAzureCredential
		cred, err = azidentity.NewDefaultAzureCredential(nil)
		if err == nil {
			s.client, err = container.NewClient(containerURL, cred, copts)
		}
	}
	if err != nil {
		// The SDK's messages for a malformed key do not quote it.
		return nil, fmt.Errorf("azurestore: open %s with credentials from %s: %v", loc, s.credSource, err)
	}
	return s, nil
}

func sharedKeyClient(containerURL, account, key string, opts *container.ClientOptions) (*container.Client, error) {
	cred, err := container.NewSharedKeyCredential(account, key)
	if err != nil {
		return nil, errors.New("the account key is not valid base64")
	}
	return container.NewClientWithSharedKeyCredential(containerURL, cred, opts)
}

// connString is what a connection string says about the location's account.
type connString struct {
	endpoint string
	key      string
	sas      string
}

// connectionString parses AZURE_STORAGE_CONNECTION_STRING, if it is for
// account.
func connectionString(account string) (connString, error) {
	var c connString
	s := os.Getenv(EnvConnectionString)
	if s == "" {
		return c, nil
	}
	kv := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return c, fmt.Errorf("azurestore: %s is not a connection string (Key=Value;…)", EnvConnectionString)
		}
		kv[strings.ToLower(k)] = v
	}
	if strings.EqualFold(kv["usedevelopmentstorage"], "true") {
		kv["accountname"], kv["accountkey"] = devAccount, devKey
		if kv["blobendpoint"] == "" {
			kv["blobendpoint"] = devEndpoint
		}
	}
	if !strings.EqualFold(kv["accountname"], account) && kv["accountname"] != "" {
		return c, nil // another account's
	}
	if kv["accountname"] == "" && kv["sharedaccesssignature"] == "" {
		return c, nil
	}
	c.key, c.sas = kv["accountkey"], kv["sharedaccesssignature"]
	switch {
	case kv["blobendpoint"] != "":
		c.endpoint = kv["blobendpoint"]
	case kv["endpointsuffix"] != "":
		proto := kv["defaultendpointsprotocol"]
		if proto == "" {
			proto = "https"
		}
		c.endpoint = proto + "://" + account + ".blob." + kv["endpointsuffix"]
	}
	if c.endpoint != "" {
		eu, err := url.Parse(c.endpoint)
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") {
			return c, fmt.Errorf("azurestore: %s: BlobEndpoint is not an http(s) URL", EnvConnectionString)
		}
	}
	return c, nil
}

// flinkAzure are the Azure settings of a Flink configuration for one
// account and container.
type flinkAzure struct {
	file    string // for messages
	keyName string // the key that gave key or sas
	key     string
	sas     string
}

func loadFlinkAzure(path, account, domain, cont, host string) (flinkAzure, error) {
	var f flinkAzure
	conf, err := savepoint.LoadFlinkConf(path)
	if err != nil {
		return f, err
	}
	if len(conf) == 0 {
		return f, nil
	}
	f.file = path
	if f.file == "" {
		f.file = "$FLINK_CONF_DIR"
	}
	hosts := []string{strings.ToLower(host), account + ".blob." + domain, account + ".dfs." + domain}
	for _, h := range hosts {
		k := "fs.azure.account.key." + h
		if v := strings.TrimSpace(conf[k]); v != "" {
			f.keyName, f.key = k, v
			return f, nil
		}
	}
	for _, h := range hosts {
		k := "fs.azure.sas." + cont + "." + h
		if v := strings.TrimSpace(conf[k]); v != "" {
			f.keyName, f.sas = k, v
			return f, nil
		}
	}
	return f, nil
}

// key turns a store path into a blob name.
func key(p string) string { return strings.TrimPrefix(p, "/") }

func (s *Store) loc(key string) string {
	return s.scheme + "://" + s.container + "@" + s.host + "/" + key
}

func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Error is the error the driver returns for a failed operation.
type Error struct {
	Op       string // "open", "read", "stat", "list"
	Location string // scheme://container@host/path
	Msg      string // what went wrong, with a hint
	kind     error  // fs.ErrNotExist, fs.ErrPermission, context.DeadlineExceeded or nil
	err      error  // the underlying error, if any
}

func (e *Error) Error() string { return "azurestore: " + e.Op + " " + e.Location + ": " + e.Msg }

// Unwrap returns the kind of failure (fs.ErrNotExist, fs.ErrPermission,
// context.DeadlineExceeded) and the SDK's error.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, x := range []error{e.kind, e.err} {
		if x != nil {
			errs = append(errs, x)
		}
	}
	return errs
}

// wrap turns an SDK error into an *Error. parent is the caller's context,
// to tell its cancellation from the driver's timeout.
func (s *Store) wrap(parent context.Context, op, key string, err error) error {
	e := &Error{Op: op, Location: s.loc(key), err: err}
	code, status := "", 0
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code, status = re.ErrorCode, re.StatusCode
		// The SDK's message holds the whole response and the request
		// URL; keep it out of ours but for the code.
		e.err = fmt.Errorf("%d %s", status, code)
	} else {
		e.err = redactedError{err}
	}
	var afe *azidentity.AuthenticationFailedError
	var dns *net.DNSError
	creds := "credentials from " + s.credSource
	switch {
	case parent.Err() != nil:
		e.Msg, e.kind = parent.Err().Error(), parent.Err()
	case errors.Is(err, context.DeadlineExceeded):
		e.Msg = fmt.Sprintf("timed out: no complete answer from %s within %v", s.endpoint, s.timeout)
		e.kind = context.DeadlineExceeded
	case code == string(bloberror.ContainerNotFound) || (code == string(bloberror.ResourceNotFound) && op == "list"):
		e.Msg = fmt.Sprintf("container %q does not exist in account %q", s.container, s.account)
		e.kind, e.err = fs.ErrNotExist, errNoContainer
	case code == string(bloberror.BlobNotFound) || status == http.StatusNotFound:
		e.Msg, e.kind = "no such blob", fs.ErrNotExist
	case errors.As(err, &dns) && dns.IsNotFound:
		e.Msg = fmt.Sprintf("storage account %q not found (no DNS name %s)", s.account, dns.Name)
		e.kind = fs.ErrNotExist
	case code == string(bloberror.AuthenticationFailed):
		e.Msg = fmt.Sprintf("access denied (%s): the server did not accept the signature; check the %s", code, creds)
		e.kind = fs.ErrPermission
	case errors.As(err, &afe) || strings.Contains(err.Error(), "DefaultAzureCredential") || strings.Contains(err.Error(), "failed to acquire a token"):
		e.Msg = fmt.Sprintf("access denied: cannot get a token from %s; set fs.azure.account.key.%s.blob.core.windows.net in the Flink configuration, "+
			"AZURE_STORAGE_KEY, or sign in (az login, a managed identity, AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET)", s.credSource, s.account)
		e.kind = fs.ErrPermission
		e.err = errors.New("token acquisition failed")
	case status == http.StatusForbidden || status == http.StatusUnauthorized ||
		code == string(bloberror.AuthorizationFailure) || code == string(bloberror.AuthorizationPermissionMismatch) ||
		code == string(bloberror.InsufficientAccountPermissions):
		if code == "" {
			code = fmt.Sprint(status)
		}
		e.Msg = fmt.Sprintf("access denied (%s): check that the %s may read container %q (role Storage Blob Data Reader, or a SAS with read and list)", code, creds, s.container)
		e.kind = fs.ErrPermission
	case code == string(bloberror.ConditionNotMet) || status == http.StatusPreconditionFailed:
		e.Msg = "the blob changed while it was being read"
	case re != nil:
		e.Msg = fmt.Sprintf("the server %s answered %d %s", s.endpoint, status, code)
	default:
		e.Msg = redact(err.Error())
	}
	return e
}

// errNoContainer is in the chain of errors for a missing container.
var errNoContainer = errors.New("container not found")

// sigParam matches the signature of a SAS token in a URL.
var sigParam = regexp.MustCompile(`(?i)(sig|signature)=[^&\s"']+`)

// redact removes SAS signatures from a message.
func redact(s string) string { return sigParam.ReplaceAllString(s, "$1=REDACTED") }

// redactedError is an SDK error whose message goes through redact.
type redactedError struct{ err error }

func (r redactedError) Error() string { return redact(r.err.Error()) }
func (r redactedError) Unwrap() error { return r.err }

func (s *Store) notExist(op, key, msg string) error {
	return &Error{Op: op, Location: s.loc(key), Msg: msg, kind: fs.ErrNotExist}
}

func isDirError(op, loc string) error {
	return &Error{Op: op, Location: loc, Msg: "is a directory"}
}

// isFolder reports whether blob metadata marks a directory: a hierarchical
// namespace's, or a marker that Hadoop's WASB driver wrote.
func isFolder(md map[string]*string) bool {
	for k, v := range md {
		if strings.EqualFold(k, "hdi_isfolder") && v != nil && strings.EqualFold(*v, "true") {
			return true
		}
	}
	return false
}

// hasChildren reports whether any blob has a name starting with prefix.
func (s *Store) hasChildren(ctx context.Context, op, prefix string) (bool, error) {
	octx, cancel := s.opContext(ctx)
	defer cancel()
	pg := s.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix, MaxResults: ptr(int32(1))})
	page, err := pg.NextPage(octx)
	if err != nil {
		return false, s.wrap(ctx, op, strings.TrimSuffix(prefix, "/"), err)
	}
	return len(page.Segment.BlobItems) > 0, nil
}

func ptr[T any](v T) *T { return &v }

// Open starts a GET of the blob at path and returns once the response
// headers are in; see the package documentation.
func (s *Store) Open(ctx context.Context, p string) (savepoint.Object, error) {
	k := key(p)
	if k == "" || strings.HasSuffix(k, "/") {
		return nil, isDirError("open", s.loc(k))
	}
	octx, cancel := s.opContext(ctx)
	resp, err := s.client.NewBlobClient(k).DownloadStream(octx, nil)
	if err != nil {
		cancel()
		werr := s.wrap(ctx, "open", k, err)
		if errors.Is(werr, fs.ErrNotExist) && !bloberror.HasCode(err, bloberror.ContainerNotFound) {
			dir, derr := s.hasChildren(ctx, "open", k+"/")
			switch {
			case derr == nil && dir:
				return nil, isDirError("open", s.loc(k))
			case derr != nil && (!errors.Is(derr, fs.ErrNotExist) || errors.Is(derr, errNoContainer)):
				return nil, derr
			}
		}
		return nil, werr
	}
	if isFolder(resp.Metadata) {
		resp.Body.Close()
		cancel()
		return nil, isDirError("open", s.loc(k))
	}
	if resp.ContentLength == nil || *resp.ContentLength < 0 {
		resp.Body.Close()
		cancel()
		return nil, &Error{Op: "open", Location: s.loc(k), Msg: "the server sent no blob size (Content-Length)"}
	}
	src := &source{st: s, key: k}
	if resp.ETag != nil {
		src.etag = *resp.ETag
	}
	body := resp.NewRetryReader(octx, &blob.RetryReaderOptions{MaxRetries: int32(s.attempts - 1)})
	return objread.New(ctx, *resp.ContentLength, s.wholeMax,
		objread.Response{Body: body, Abort: cancel, Release: cancel}, src), nil
}

// Stat describes the blob at path (Get Blob Properties) or, failing that,
// the prefix path+"/" (a listing of one blob). The container root is a
// directory when the container exists.
func (s *Store) Stat(ctx context.Context, p string) (savepoint.FileInfo, error) {
	k := strings.TrimSuffix(key(p), "/")
	name := path.Base("/" + k)
	if k == "" {
		if _, err := s.hasChildren(ctx, "stat", ""); err != nil {
			return savepoint.FileInfo{}, err
		}
		return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
	}
	octx, cancel := s.opContext(ctx)
	props, err := s.client.NewBlobClient(k).GetProperties(octx, nil)
	cancel()
	if err == nil {
		fi := savepoint.FileInfo{Name: name, Path: p, IsDir: isFolder(props.Metadata)}
		if !fi.IsDir && props.ContentLength != nil {
			fi.Size = *props.ContentLength
		}
		if props.LastModified != nil {
			fi.ModTime = *props.LastModified
		}
		return fi, nil
	}
	werr := s.wrap(ctx, "stat", k, err)
	if !errors.Is(werr, fs.ErrNotExist) {
		return savepoint.FileInfo{}, werr
	}
	// A HEAD 404 does not say whether the container is missing; the
	// listing does.
	dir, err := s.hasChildren(ctx, "stat", k+"/")
	if err != nil {
		return savepoint.FileInfo{}, err
	}
	if !dir {
		return savepoint.FileInfo{}, s.notExist("stat", k, "no such blob or prefix")
	}
	return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
}

// List returns the blobs and prefixes directly under path, sorted by name,
// reading every page of List Blobs (delimiter "/").
func (s *Store) List(ctx context.Context, p string) ([]savepoint.FileInfo, error) {
	k := strings.TrimSuffix(key(p), "/")
	prefix := ""
	if k != "" {
		prefix = k + "/"
	}
	dir := strings.TrimSuffix(p, "/")
	if dir == "" {
		dir = "/"
	}
	join := func(name string) string {
		if strings.HasSuffix(dir, "/") {
			return dir + name
		}
		return dir + "/" + name
	}
	pg := s.client.NewListBlobsHierarchyPager("/", &container.ListBlobsHierarchyOptions{
		Prefix:     &prefix,
		MaxResults: &s.pageSize,
		Include:    container.ListBlobsInclude{Metadata: true},
	})
	var out []savepoint.FileInfo
	dirs := map[string]bool{}
	addDir := func(name string) {
		if name != "" && !dirs[name] {
			dirs[name] = true
			out = append(out, savepoint.FileInfo{Name: name, Path: join(name), IsDir: true})
		}
	}
	found := false
	for pg.More() {
		octx, cancel := s.opContext(ctx)
		page, err := pg.NextPage(octx)
		cancel()
		if err != nil {
			return nil, s.wrap(ctx, "list", prefix, err)
		}
		for _, bp := range page.Segment.BlobPrefixes {
			found = true
			if bp.Name != nil {
				addDir(strings.TrimSuffix(strings.TrimPrefix(*bp.Name, prefix), "/"))
			}
		}
		for _, b := range page.Segment.BlobItems {
			found = true
			if b.Name == nil {
				continue
			}
			name := strings.TrimPrefix(*b.Name, prefix)
			if name == "" || strings.HasSuffix(name, "/") { // a directory marker "dir/"
				continue
			}
			if isFolder(b.Metadata) {
				addDir(name)
				continue
			}
			fi := savepoint.FileInfo{Name: name, Path: join(name)}
			if b.Properties != nil {
				if b.Properties.ContentLength != nil {
					fi.Size = *b.Properties.ContentLength
				}
				if b.Properties.LastModified != nil {
					fi.ModTime = *b.Properties.LastModified
				}
			}
			out = append(out, fi)
		}
	}
	if !found && k != "" {
		// An empty directory of a hierarchical namespace, or a WASB
		// directory marker, exists with nothing under it.
		octx, cancel := s.opContext(ctx)
		props, err := s.client.NewBlobClient(k).GetProperties(octx, nil)
		cancel()
		if err == nil && isFolder(props.Metadata) {
			return []savepoint.FileInfo{}, nil
		}
		return nil, s.notExist("list", prefix, "no blobs under this prefix")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Close releases nothing: the SDK client holds no resources that need it.
func (s *Store) Close() error { return nil }

// source gives the shared object reader (objread) what it needs of Azure:
// ranged reads conditional on the ETag seen at Open, and the driver's
// errors.
type source struct {
	st   *Store
	key  string
	etag azcore.ETag
}

var _ ReadFuller = (*objread.Object)(nil)

func (r *source) OpContext(parent context.Context) (context.Context, context.CancelFunc) {
	return r.st.opContext(parent)
}

func (r *source) BodyError(parent, ctx context.Context, err error) error {
	return r.st.wrap(parent, "read", r.key, ctxErr(ctx, err))
}

func (r *source) Error(op, msg string, kind error) error {
	return &Error{Op: op, Location: r.st.loc(r.key), Msg: msg, kind: kind}
}

// ctxErr returns ctx's error if it is done, else err.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ReadRange reads len(p) bytes from off with a ranged GET conditional on
// the ETag seen at Open.
func (r *source) ReadRange(parent, ctx context.Context, p []byte, off int64) (int, error) {
	opts := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: int64(len(p))}}
	if r.etag != "" {
		etag := r.etag
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag}}
	}
	resp, err := r.st.client.NewBlobClient(r.key).DownloadStream(ctx, opts)
	if err != nil {
		return 0, r.st.wrap(parent, "read", r.key, err)
	}
	body := resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: int32(r.st.attempts - 1)})
	defer body.Close()
	n, err := io.ReadFull(body, p)
	if err != nil {
		return n, r.st.wrap(parent, "read", r.key, ctxErr(ctx, err))
	}
	return n, nil
}
