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
//
// # Why the Azure SDK
//
// The driver is a thin driver of savepoint/objstore, the portable layer
// that implements directories, errors, timeouts and reads for every object
// store. It still sends its requests through azblob, and gets Microsoft
// Entra ID tokens from azidentity: together 8.2 MB of the binary (azidentity
// 2.1 MB). Get Blob, Get Blob Properties and List Blobs with Shared Key or SAS
// signing over plain HTTP would be smaller; Entra ID would still need
// azidentity. Build with the tag noazure to leave the driver out.
package azurestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/objstore"
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

// Store is a container: the portable objstore.Store over this package's
// driver.
type Store = objstore.Store

// Error is the error the store returns for a failed operation.
type Error = objstore.Error

// New connects to the container that u names, configured as the package
// documentation describes. It sends no request.
func New(ctx context.Context, u *url.URL, opts savepoint.Options, set Settings) (*Store, error) {
	s := &driver{scheme: u.Scheme, host: u.Host, attempts: set.MaxAttempts}
	cfg := objstore.Config{
		Name:           "azurestore",
		Timeout:        opts.Timeout,
		PageSize:       int(min(set.PageSize, DefaultPageSize)),
		MaxAttempts:    set.MaxAttempts,
		WholeObjectMax: set.WholeObjectMax,
	}
	if u.User != nil {
		s.container = u.User.Username()
	}
	loc := s.Location("")
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
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if s.attempts <= 0 {
		s.attempts = DefaultMaxAttempts
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
	cfg.Server = s.endpoint
	containerURL := endpoint + "/" + url.PathEscape(s.container)

	copts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    int32(s.attempts - 1),
			TryTimeout:    cfg.Timeout,
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
	return objstore.New(s, cfg), nil
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

// driver sends one container's requests through the Azure SDK.
type driver struct {
	client     *container.Client
	scheme     string
	container  string
	account    string
	host       string // as the location gives it, for messages
	endpoint   string // for messages: the blob service URL
	credSource string // for messages: where the credentials came from
	attempts   int
}

func (s *driver) Location(key string) string {
	return s.scheme + "://" + s.container + "@" + s.host + "/" + key
}

// Close releases nothing: the SDK client holds no resources that need it.
func (s *driver) Close() error { return nil }

// respError is an SDK response error without the SDK's message, which
// holds the whole response and the request URL (with a SAS signature).
type respError struct {
	status int
	code   string
}

func (e *respError) Error() string { return fmt.Sprintf("%d %s", e.status, e.code) }

// clean turns an SDK error into one whose message holds no secret.
func clean(err error) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return &respError{status: re.StatusCode, code: re.ErrorCode}
	}
	return redactedError{err}
}

func (s *driver) Attributes(ctx context.Context, key string) (objstore.Attributes, error) {
	props, err := s.client.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return objstore.Attributes{}, clean(err)
	}
	a := objstore.Attributes{IsDir: isFolder(props.Metadata)}
	if props.ContentLength != nil {
		a.Size = *props.ContentLength
	}
	if props.LastModified != nil {
		a.ModTime = *props.LastModified
	}
	if props.ETag != nil {
		a.Version = string(*props.ETag)
	}
	return a, nil
}

func (s *driver) ListPage(ctx context.Context, prefix, delimiter string, pageSize int, token string) (*objstore.Page, error) {
	n := int32(pageSize)
	var marker *string
	if token != "" {
		marker = &token
	}
	pg := &objstore.Page{}
	add := func(b *container.BlobItem) {
		if b.Name == nil {
			return
		}
		e := objstore.Entry{Key: *b.Name, IsDir: isFolder(b.Metadata)}
		if b.Properties != nil {
			if b.Properties.ContentLength != nil {
				e.Size = *b.Properties.ContentLength
			}
			if b.Properties.LastModified != nil {
				e.ModTime = *b.Properties.LastModified
			}
		}
		pg.Objects = append(pg.Objects, e)
	}
	if delimiter == "" {
		page, err := s.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix, MaxResults: &n, Marker: marker}).NextPage(ctx)
		if err != nil {
			return nil, s.listError(err)
		}
		for _, b := range page.Segment.BlobItems {
			add(b)
		}
		if page.NextMarker != nil {
			pg.Next = *page.NextMarker
		}
		return pg, nil
	}
	page, err := s.client.NewListBlobsHierarchyPager(delimiter, &container.ListBlobsHierarchyOptions{
		Prefix: &prefix, MaxResults: &n, Marker: marker,
		Include: container.ListBlobsInclude{Metadata: true},
	}).NextPage(ctx)
	if err != nil {
		return nil, s.listError(err)
	}
	for _, bp := range page.Segment.BlobPrefixes {
		if bp.Name != nil {
			pg.Prefixes = append(pg.Prefixes, *bp.Name)
		}
	}
	for _, b := range page.Segment.BlobItems {
		add(b)
	}
	if page.NextMarker != nil {
		pg.Next = *page.NextMarker
	}
	return pg, nil
}

// listError marks a listing's 404 (ResourceNotFound) as a missing
// container: a listing of a container that exists never answers 404.
func (s *driver) listError(err error) error {
	err = clean(err)
	var re *respError
	if errors.As(err, &re) && (re.status == http.StatusNotFound || re.code == string(bloberror.ResourceNotFound)) {
		re.code = string(bloberror.ContainerNotFound)
	}
	return err
}

type reader struct {
	io.ReadCloser
	attrs objstore.Attributes
}

func (r *reader) Attributes() objstore.Attributes { return r.attrs }

func (s *driver) NewRangeReader(ctx context.Context, key string, off, length int64, version string) (objstore.Reader, error) {
	opts := &blob.DownloadStreamOptions{}
	if off > 0 || length >= 0 {
		opts.Range = blob.HTTPRange{Offset: off, Count: max(length, 0)}
	}
	if version != "" {
		etag := azcore.ETag(version)
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag}}
	}
	resp, err := s.client.NewBlobClient(key).DownloadStream(ctx, opts)
	if err != nil {
		return nil, clean(err)
	}
	a := objstore.Attributes{Size: -1, IsDir: isFolder(resp.Metadata)}
	if resp.ETag != nil {
		a.Version = string(*resp.ETag)
	}
	if resp.LastModified != nil {
		a.ModTime = *resp.LastModified
	}
	whole := int64(-1)
	if resp.ContentLength != nil {
		whole = *resp.ContentLength
	}
	cr := ""
	if resp.ContentRange != nil {
		cr = *resp.ContentRange
	}
	size, body, err := objstore.RangeBody(off, length, cr, whole, resp.Body)
	if err != nil {
		return nil, err
	}
	a.Size = size
	return &reader{ReadCloser: body, attrs: a}, nil
}

// Describe words an error of the driver.
func (s *driver) Describe(op string, err error) (objstore.Kind, string) {
	code, status := "", 0
	var re *respError
	if errors.As(err, &re) {
		code, status = re.code, re.status
	}
	var afe *azidentity.AuthenticationFailedError
	var dns *net.DNSError
	creds := "credentials from " + s.credSource
	switch {
	case code == string(bloberror.ContainerNotFound):
		return objstore.KindNoBucket, fmt.Sprintf("container %q does not exist in account %q", s.container, s.account)
	case code == string(bloberror.BlobNotFound) || status == http.StatusNotFound:
		return objstore.KindNotFound, "no such blob"
	case errors.As(err, &dns) && dns.IsNotFound:
		return objstore.KindNoBucket, fmt.Sprintf("storage account %q not found (no DNS name %s)", s.account, dns.Name)
	case code == string(bloberror.AuthenticationFailed):
		return objstore.KindPermission, fmt.Sprintf("access denied (%s): the server did not accept the signature; check the %s", code, creds)
	case errors.As(err, &afe) || strings.Contains(err.Error(), "DefaultAzureCredential") || strings.Contains(err.Error(), "failed to acquire a token"):
		return objstore.KindPermission, fmt.Sprintf("access denied: cannot get a token from %s; set fs.azure.account.key.%s.blob.core.windows.net in the Flink configuration, "+
			"AZURE_STORAGE_KEY, or sign in (az login, a managed identity, AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET)", s.credSource, s.account)
	case status == http.StatusForbidden || status == http.StatusUnauthorized ||
		code == string(bloberror.AuthorizationFailure) || code == string(bloberror.AuthorizationPermissionMismatch) ||
		code == string(bloberror.InsufficientAccountPermissions):
		if code == "" {
			code = fmt.Sprint(status)
		}
		return objstore.KindPermission, fmt.Sprintf("access denied (%s): check that the %s may read container %q (role Storage Blob Data Reader, or a SAS with read and list)", code, creds, s.container)
	case code == string(bloberror.ConditionNotMet) || status == http.StatusPreconditionFailed:
		return objstore.KindChanged, "the blob changed while it was being read"
	case code == string(bloberror.InvalidRange) || status == http.StatusRequestedRangeNotSatisfiable:
		return objstore.KindRange, "the range starts past the end of the blob"
	case re != nil:
		return objstore.KindOther, fmt.Sprintf("the server %s answered %d %s", s.endpoint, status, code)
	}
	return objstore.KindOther, redact(err.Error())
}

// sigParam matches the signature of a SAS token in a URL.
var sigParam = regexp.MustCompile(`(?i)(sig|signature)=[^&\s"']+`)

// redact removes SAS signatures from a message.
func redact(s string) string { return sigParam.ReplaceAllString(s, "$1=REDACTED") }

// redactedError is an SDK error whose message goes through redact.
type redactedError struct{ err error }

func (r redactedError) Error() string { return redact(r.err.Error()) }
func (r redactedError) Unwrap() error { return r.err }

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
