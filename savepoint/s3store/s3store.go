// Package s3store reads savepoints from Amazon S3 and S3-compatible object
// stores (MinIO, Ceph, versitygw, …). Importing it registers the schemes
// s3, s3a and s3p with package savepoint; the three are Flink's names for
// S3 (Hadoop's S3A and Presto's file systems) and mean the same here.
//
// The driver only ever sends GetObject, HeadObject and ListObjectsV2
// requests: it never writes, renames or deletes.
//
// # URLs
//
// s3://bucket/key/path (or s3a://, s3p://): the host is the bucket and the
// path, leading slash included, is the store path of the key ("/key/path").
// A "directory" is a key prefix ending in "/" with at least one object
// under it. Credentials in the URL (s3://id:secret@bucket) and query
// parameters are rejected.
//
// # Configuration
//
// Settings come from, in order of precedence:
//
//  1. The Flink configuration named by savepoint.Options.FlinkConf, or else
//     $FLINK_CONF_DIR (see savepoint.LoadFlinkConf): s3.endpoint,
//     s3.path.style.access, s3.access-key, s3.secret-key, s3.session-token,
//     s3.region and s3.connection.ssl.enabled, or their fs.s3a.*
//     equivalents (fs.s3a.endpoint, fs.s3a.path.style.access,
//     fs.s3a.access.key, fs.s3a.secret.key, fs.s3a.session.token,
//     fs.s3a.endpoint.region, fs.s3a.connection.ssl.enabled); s3a.* is
//     accepted too, as Flink does. When both forms are set, s3.* wins.
//  2. The AWS SDK's own sources: AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL,
//     AWS_REGION, and the default credential chain (AWS_ACCESS_KEY_ID and
//     AWS_SECRET_ACCESS_KEY, the shared config and credentials files and
//     AWS_PROFILE, web identity tokens as used by EKS IRSA, container
//     credentials, the EC2 instance role).
//  3. Defaults: region us-east-1; AWS's own endpoints.
//
// The Flink configuration wins because it describes where the Flink job
// reads and writes its savepoints, which is what spcheck must look at; the
// AWS variables are the general fallback. Flink's access and secret keys
// are used only as a pair (one without the other is an error); without
// them the SDK's chain is used.
//
// An endpoint without a scheme gets https://, or http:// when
// s3.connection.ssl.enabled is false. Path-style requests
// (http://host/bucket/key) are used when s3.path.style.access says so;
// when it is not set, they are used with a custom endpoint (as MinIO and
// most S3-compatible servers need) and not with AWS's own endpoints.
//
// # Requests, retries and timeouts
//
// Open sends a single GetObject for the whole object and reads only its
// headers: that request tells whether the object exists and its size, and
// its body is kept for the first read. An object of up to WholeObjectMax
// bytes (64 MiB by default) is read whole by its first ReadAt and served
// from memory afterwards, so Open plus reading a _metadata file costs
// exactly one GET and no HEAD. Larger objects are read with ranged GETs
// (Range: bytes=a-b, If-Match on the ETag seen at Open), reusing the
// first body for a sequential read from offset 0. The Objects also
// implement ReadFuller, a whole-object read that hands over the buffer
// without a copy.
//
// Failed requests are retried by the SDK's standard retryer (3 attempts
// in all, exponential backoff with jitter); a response body that breaks
// off mid-read is resumed with a ranged GET, with the same bound. Every
// operation (Stat, one page of List, Open, one ReadAt) is bounded by
// savepoint.Options.Timeout, 30 s by default, so a server that stops
// answering gives an error, never a hang. ReadAt runs under the context
// given to Open.
//
// # Errors
//
// A missing bucket, key or prefix gives an error satisfying
// errors.Is(err, fs.ErrNotExist); a refusal (AccessDenied, a wrong secret,
// an unknown access key, an expired token) satisfies errors.Is(err,
// fs.ErrPermission) and says where the credentials came from; a timeout
// satisfies errors.Is(err, context.DeadlineExceeded). Messages never hold
// access keys, secrets or session tokens.
//
// # Why the AWS SDK
//
// The driver uses the AWS SDK for Go v2 directly rather than a portable
// layer such as gocloud.dev/blob: that gives precise control of the
// endpoint, path-style addressing, the credential chain and the number and
// kind of requests (one GET per _metadata, ranged reads, no writes).
// Google Cloud Storage and Azure will get drivers of their own.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/spcheck/spcheck/savepoint"
)

// Schemes are the URL schemes the driver registers.
var Schemes = []string{"s3", "s3a", "s3p"}

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
	DefaultRegion         = "us-east-1"
	DefaultPageSize       = 1000
	DefaultMaxAttempts    = 3
	DefaultWholeObjectMax = 64 << 20
	maxBackoff            = 5 * time.Second
)

// Settings are driver settings that savepoint.Options does not carry. The
// zero value means the defaults; the registered schemes use it.
type Settings struct {
	// PageSize is the number of keys asked for per ListObjectsV2 request
	// (at most 1000).
	PageSize int32
	// MaxAttempts bounds the attempts of each request, the first included.
	MaxAttempts int
	// WholeObjectMax is the size up to which an object is read whole by
	// its first read.
	WholeObjectMax int64
}

// ReadFuller is implemented by the Objects the driver's Open returns.
// ReadFull returns the whole object; when nothing has been read yet it
// costs the GET that Open started and nothing more, and the caller owns
// the returned slice. Callers that hold a savepoint.Object can use it
// without importing this package:
//
//	if rf, ok := obj.(interface {
//		ReadFull(context.Context) ([]byte, error)
//	}); ok {
//		b, err := rf.ReadFull(ctx)
//	}
type ReadFuller interface {
	ReadFull(ctx context.Context) ([]byte, error)
}

// Store is a bucket.
type Store struct {
	client     *s3.Client
	scheme     string
	bucket     string
	endpoint   string // for messages: the custom endpoint, or "" for AWS
	credSource string // for messages: where the credentials came from
	timeout    time.Duration
	pageSize   int32
	attempts   int
	wholeMax   int64
}

var _ savepoint.Store = (*Store)(nil)

// New connects to the bucket that u (s3://bucket/…) names, configured as
// the package documentation describes. It fetches credentials (so that
// missing ones are reported at once) but sends no request to the bucket.
func New(ctx context.Context, u *url.URL, opts savepoint.Options, set Settings) (*Store, error) {
	loc := savepoint.Redact(u)
	if u.User != nil {
		return nil, fmt.Errorf("s3store: open bucket %s: credentials in the location are not supported; use the Flink configuration (s3.access-key, s3.secret-key) or the AWS credential chain", loc)
	}
	if u.RawQuery != "" {
		for k := range u.Query() {
			return nil, fmt.Errorf("s3store: open bucket %s: invalid query parameter %q", loc, k)
		}
	}
	if u.Host == "" {
		return nil, fmt.Errorf("s3store: location %s names no bucket; want %s://bucket/path", loc, u.Scheme)
	}
	if u.Port() != "" {
		return nil, fmt.Errorf("s3store: location %s: bucket %q has a port; give the endpoint in the Flink configuration (s3.endpoint) or AWS_ENDPOINT_URL", loc, u.Host)
	}
	s := &Store{
		scheme:   u.Scheme,
		bucket:   u.Host,
		timeout:  opts.Timeout,
		pageSize: set.PageSize,
		attempts: set.MaxAttempts,
		wholeMax: set.WholeObjectMax,
	}
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

	fc, err := loadFlinkS3(opts.FlinkConf)
	if err != nil {
		return nil, err
	}
	attempts := s.attempts
	lopts := []func(*config.LoadOptions) error{
		config.WithLogger(logging.Nop{}),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = maxBackoff
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if fc.region != "" {
		lopts = append(lopts, config.WithRegion(fc.region))
	}
	if fc.accessKey != "" {
		lopts = append(lopts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(fc.accessKey, fc.secretKey, fc.sessionToken)))
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(cctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("s3store: load AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	s.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		if fc.endpoint != "" {
			o.BaseEndpoint = aws.String(fc.endpoint)
		}
		if o.BaseEndpoint != nil {
			s.endpoint = *o.BaseEndpoint
		}
		o.UsePathStyle = s.endpoint != ""
		if fc.pathStyle != nil {
			o.UsePathStyle = *fc.pathStyle
		}
		o.DisableLogOutputChecksumValidationSkipped = true
		o.Logger = logging.Nop{}
	})
	if s.endpoint != "" {
		if eu, err := url.Parse(s.endpoint); err == nil {
			s.endpoint = savepoint.Redact(eu)
		}
	}

	if fc.accessKey != "" {
		s.credSource = "the Flink configuration " + fc.file
	} else {
		creds, err := cfg.Credentials.Retrieve(cctx)
		if err != nil {
			return nil, fmt.Errorf("s3store: cannot get AWS credentials for %s: looked in the Flink configuration (%s), "+
				"the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the shared files ~/.aws/credentials and ~/.aws/config (AWS_PROFILE), "+
				"a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, as set by EKS IRSA), the container credentials endpoint "+
				"and the EC2 instance role: %v", loc, fc.describe(), err)
		}
		s.credSource = describeSource(creds.Source)
	}
	return s, nil
}

// describeSource turns an aws.Credentials.Source into words.
func describeSource(src string) string {
	switch {
	case src == config.CredentialsSourceName:
		return "the environment (AWS_ACCESS_KEY_ID)"
	case strings.HasPrefix(src, "SharedConfigCredentials: "):
		return "the shared credentials file " + strings.TrimPrefix(src, "SharedConfigCredentials: ")
	case src == "WebIdentityCredentials":
		return "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)"
	case src == "EC2RoleProvider":
		return "the EC2 instance role"
	case src == "CredentialsEndpointProvider":
		return "the container credentials endpoint"
	case src == "":
		return "the AWS credential chain"
	}
	return src
}

// flinkS3 holds the S3 settings of a Flink configuration.
type flinkS3 struct {
	file                                                 string // where they were read from; "" if none
	endpoint, region, accessKey, secretKey, sessionToken string
	pathStyle                                            *bool
}

func (f flinkS3) describe() string {
	if f.file == "" {
		return "none given"
	}
	return f.file + ": no s3.access-key"
}

// flinkKeys lists, for each setting, the keys Flink accepts for it, in
// order of precedence.
func flinkKeys(suffixes ...string) []string {
	var keys []string
	for _, p := range []string{"s3.", "s3a.", "fs.s3a."} {
		for _, s := range suffixes {
			keys = append(keys, p+s)
		}
	}
	return keys
}

var (
	keysEndpoint  = flinkKeys("endpoint")
	keysRegion    = flinkKeys("region", "endpoint.region")
	keysAccess    = flinkKeys("access-key", "access.key")
	keysSecret    = flinkKeys("secret-key", "secret.key")
	keysToken     = flinkKeys("session-token", "session.token")
	keysPathStyle = flinkKeys("path.style.access", "path-style-access")
	keysSSL       = flinkKeys("connection.ssl.enabled")
)

func lookup(conf map[string]string, keys []string) (key, val string) {
	for _, k := range keys {
		if v := strings.TrimSpace(conf[k]); v != "" {
			return k, v
		}
	}
	return "", ""
}

func loadFlinkS3(path string) (flinkS3, error) {
	var f flinkS3
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
	boolean := func(keys []string) (*bool, error) {
		k, v := lookup(conf, keys)
		if k == "" {
			return nil, nil
		}
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return nil, fmt.Errorf("s3store: Flink configuration %s: %s is %q; want true or false", f.file, k, v)
		}
		return &b, nil
	}
	if f.pathStyle, err = boolean(keysPathStyle); err != nil {
		return f, err
	}
	ssl, err := boolean(keysSSL)
	if err != nil {
		return f, err
	}
	_, f.region = lookup(conf, keysRegion)
	var ak, sk string
	ak, f.accessKey = lookup(conf, keysAccess)
	sk, f.secretKey = lookup(conf, keysSecret)
	_, f.sessionToken = lookup(conf, keysToken)
	switch {
	case ak != "" && sk == "":
		return f, fmt.Errorf("s3store: Flink configuration %s sets %s but no secret key (s3.secret-key)", f.file, ak)
	case ak == "" && sk != "":
		return f, fmt.Errorf("s3store: Flink configuration %s sets %s but no access key (s3.access-key)", f.file, sk)
	}
	if k, ep := lookup(conf, keysEndpoint); k != "" {
		if !strings.Contains(ep, "://") {
			if ssl != nil && !*ssl {
				ep = "http://" + ep
			} else {
				ep = "https://" + ep
			}
		}
		eu, err := url.Parse(ep)
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") {
			return f, fmt.Errorf("s3store: Flink configuration %s: %s is not an http(s) URL or host:port", f.file, k)
		}
		f.endpoint = ep
	}
	return f, nil
}

// key turns a store path into an object key.
func key(p string) string { return strings.TrimPrefix(p, "/") }

func (s *Store) loc(key string) string {
	return s.scheme + "://" + s.bucket + "/" + key
}

func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Error is the error the driver returns for a failed operation.
type Error struct {
	Op       string // "open", "read", "stat", "list"
	Location string // scheme://bucket/key
	Msg      string // what went wrong, with a hint
	kind     error  // fs.ErrNotExist, fs.ErrPermission, context.DeadlineExceeded or nil
	err      error  // the underlying error, if any
}

func (e *Error) Error() string { return "s3store: " + e.Op + " " + e.Location + ": " + e.Msg }

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

func (s *Store) at() string {
	if s.endpoint == "" {
		return ""
	}
	return " at " + s.endpoint
}

// wrap turns an SDK error into an *Error. parent is the caller's context,
// to tell its cancellation from the driver's timeout.
func (s *Store) wrap(parent context.Context, op, key string, err error) error {
	e := &Error{Op: op, Location: s.loc(key), err: err}
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	creds := "credentials from " + s.credSource
	switch {
	case parent.Err() != nil:
		e.Msg, e.kind = parent.Err().Error(), parent.Err()
	case errors.Is(err, context.DeadlineExceeded):
		e.Msg = fmt.Sprintf("timed out: no complete answer from the server%s within %v", s.at(), s.timeout)
		e.kind = context.DeadlineExceeded
	case code == "NoSuchBucket":
		e.Msg = fmt.Sprintf("bucket %q does not exist%s", s.bucket, s.at())
		e.kind = fs.ErrNotExist
	case code == "NoSuchKey" || code == "NotFound" || status == 404:
		e.Msg, e.kind = "no such object", fs.ErrNotExist
	case code == "SignatureDoesNotMatch":
		e.Msg = fmt.Sprintf("access denied (%s): the secret key does not match the access key; check the %s", code, creds)
		e.kind = fs.ErrPermission
	case code == "InvalidAccessKeyId":
		e.Msg = fmt.Sprintf("access denied (%s): the server%s does not know the access key; check the %s", code, s.at(), creds)
		e.kind = fs.ErrPermission
	case code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired":
		e.Msg = fmt.Sprintf("access denied (%s): the session token is expired or invalid; renew the %s", code, creds)
		e.kind = fs.ErrPermission
	case code == "AccessDenied" || code == "Forbidden" || code == "AllAccessDisabled" || status == 403:
		if code == "" {
			code = "403"
		}
		e.Msg = fmt.Sprintf("access denied (%s): check that the %s may read bucket %q (s3:GetObject, s3:ListBucket)", code, creds, s.bucket)
		e.kind = fs.ErrPermission
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == 301:
		e.Msg = fmt.Sprintf("bucket %q is in another region than the one configured; set s3.region in the Flink configuration or AWS_REGION: %v", s.bucket, err)
	case code == "PreconditionFailed" || status == 412:
		e.Msg = "the object changed while it was being read"
	default:
		e.Msg = err.Error()
	}
	return e
}

func (s *Store) notExist(op, key, msg string) error {
	return &Error{Op: op, Location: s.loc(key), Msg: msg, kind: fs.ErrNotExist}
}

func isBucketMissing(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket"
}

// hasChildren reports whether any object has a key starting with prefix.
func (s *Store) hasChildren(ctx context.Context, op, prefix string) (bool, error) {
	octx, cancel := s.opContext(ctx)
	defer cancel()
	out, err := s.client.ListObjectsV2(octx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(s.bucket),
		Prefix:  aws.String(prefix),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return false, s.wrap(ctx, op, strings.TrimSuffix(prefix, "/"), err)
	}
	return len(out.Contents) > 0 || len(out.CommonPrefixes) > 0, nil
}

func isDirError(op, loc string) error {
	return &Error{Op: op, Location: loc, Msg: "is a directory"}
}

// Open starts a GET of the object at path and returns once the response
// headers are in; see the package documentation.
func (s *Store) Open(ctx context.Context, p string) (savepoint.Object, error) {
	k := key(p)
	if k == "" || strings.HasSuffix(k, "/") {
		return nil, isDirError("open", s.loc(k))
	}
	octx, cancel := s.opContext(ctx)
	out, err := s.client.GetObject(octx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	if err != nil {
		cancel()
		werr := s.wrap(ctx, "open", k, err)
		if errors.Is(werr, fs.ErrNotExist) && !isBucketMissing(err) {
			if dir, derr := s.hasChildren(ctx, "open", k+"/"); derr == nil && dir {
				return nil, isDirError("open", s.loc(k))
			} else if derr != nil && !errors.Is(derr, fs.ErrNotExist) {
				return nil, derr
			}
		}
		return nil, werr
	}
	size := aws.ToInt64(out.ContentLength)
	if out.ContentLength == nil || size < 0 {
		out.Body.Close()
		cancel()
		return nil, &Error{Op: "open", Location: s.loc(k), Msg: "the server sent no object size (Content-Length)"}
	}
	return &object{
		st:     s,
		key:    k,
		ctx:    ctx,
		size:   size,
		etag:   aws.ToString(out.ETag),
		body:   out.Body,
		cancel: cancel,
	}, nil
}

// Stat describes the object at path (HeadObject) or, failing that, the
// prefix path+"/" (ListObjectsV2 with MaxKeys 1). The bucket root is a
// directory when the bucket exists.
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
	out, err := s.client.HeadObject(octx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(k)})
	cancel()
	if err == nil {
		return savepoint.FileInfo{Name: name, Path: p, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
	}
	werr := s.wrap(ctx, "stat", k, err)
	if !errors.Is(werr, fs.ErrNotExist) {
		return savepoint.FileInfo{}, werr
	}
	// A HEAD 404 does not say whether the bucket is missing; the listing does.
	dir, err := s.hasChildren(ctx, "stat", k+"/")
	if err != nil {
		return savepoint.FileInfo{}, err
	}
	if !dir {
		return savepoint.FileInfo{}, s.notExist("stat", k, "no such object or prefix")
	}
	return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
}

// List returns the objects and prefixes directly under path, sorted by
// name, reading every page of ListObjectsV2 (delimiter "/").
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
	pg := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket:    aws.String(s.bucket),
		Prefix:    aws.String(prefix),
		Delimiter: aws.String("/"),
		MaxKeys:   aws.Int32(s.pageSize),
	})
	var out []savepoint.FileInfo
	found := false
	for pg.HasMorePages() {
		octx, cancel := s.opContext(ctx)
		page, err := pg.NextPage(octx)
		cancel()
		if err != nil {
			return nil, s.wrap(ctx, "list", prefix, err)
		}
		for _, o := range page.Contents {
			found = true
			name := strings.TrimPrefix(aws.ToString(o.Key), prefix)
			if name == "" { // a directory marker
				continue
			}
			out = append(out, savepoint.FileInfo{Name: name, Path: join(name), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
		for _, cp := range page.CommonPrefixes {
			found = true
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name == "" {
				continue
			}
			out = append(out, savepoint.FileInfo{Name: name, Path: join(name), IsDir: true})
		}
	}
	if !found && k != "" {
		return nil, s.notExist("list", prefix, "no objects under this prefix")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Close releases nothing: the SDK client holds no resources that need it.
func (s *Store) Close() error { return nil }

// object is an open object. The body of the GET that Open sent is kept
// until the first read; see the package documentation.
type object struct {
	st   *Store
	key  string
	ctx  context.Context // Open's; reads run under it
	size int64
	etag string

	mu      sync.Mutex
	body    io.ReadCloser      // Open's response body, until used or dropped
	bodyPos int64              // bytes of body read so far
	cancel  context.CancelFunc // ends Open's request
	data    []byte             // the whole object, once read
	closed  bool
}

var _ ReadFuller = (*object)(nil)

func (o *object) Size() int64 { return o.size }

func (o *object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed {
		o.closed = true
		o.dropBody()
		o.cancel()
		o.data = nil
	}
	return nil
}

// dropBody closes Open's response body, if still held. o.mu is held.
func (o *object) dropBody() {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
}

func (o *object) errClosed(op string) error {
	return &Error{Op: op, Location: o.st.loc(o.key), Msg: "object is closed", kind: fs.ErrClosed}
}

func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &Error{Op: "read", Location: o.st.loc(o.key), Msg: "negative offset"}
	}
	if off >= o.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want, eof := p, false
	if int64(len(p)) > o.size-off {
		want, eof = p[:o.size-off], true
	}
	ctx, cancel := o.st.opContext(o.ctx)
	defer cancel()
	n, err := o.read(ctx, want, off)
	if err != nil {
		return n, err
	}
	if eof {
		return n, io.EOF
	}
	return n, nil
}

func (o *object) read(ctx context.Context, p []byte, off int64) (int, error) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return 0, o.errClosed("read")
	}
	if o.data == nil && o.size <= o.st.wholeMax {
		// Small: read it all once, then serve from memory.
		data := make([]byte, o.size)
		body := o.takeBody(0)
		if _, err := o.fill(o.ctx, ctx, data, 0, body); err != nil {
			o.mu.Unlock()
			return 0, err
		}
		o.data = data
	}
	if o.data != nil {
		n := copy(p, o.data[off:])
		o.mu.Unlock()
		return n, nil
	}
	// Large: continue Open's body if the read starts where it stands.
	if o.body != nil && o.bodyPos == off {
		b := o.body
		stop := context.AfterFunc(ctx, func() { b.Close() })
		n, err := io.ReadFull(b, p)
		stop()
		o.bodyPos += int64(n)
		if err == nil {
			o.mu.Unlock()
			return n, nil
		}
		o.dropBody()
		o.mu.Unlock()
		m, err := o.fill(o.ctx, ctx, p[n:], off+int64(n), nil)
		return n + m, err
	}
	o.dropBody()
	o.mu.Unlock()
	return o.fill(o.ctx, ctx, p, off, nil)
}

// takeBody hands over Open's response body if it stands at off, and drops
// it otherwise. o.mu is held.
func (o *object) takeBody(off int64) io.ReadCloser {
	b := o.body
	o.body = nil
	if b != nil && o.bodyPos != off {
		b.Close()
		b = nil
	}
	return b
}

// fill reads len(p) bytes from off into p, starting with body (a response
// body standing at off and ending at the end of the object, consumed and
// closed) if not nil, and resuming with ranged GETs when a body breaks
// off, up to the store's attempt count. parent is the caller's context, ctx
// the operation's.
func (o *object) fill(parent, ctx context.Context, p []byte, off int64, body io.ReadCloser) (int, error) {
	n := 0
	end := o.size // where body ends
	var lastErr error
	for attempt := 0; n < len(p); attempt++ {
		if attempt > 0 {
			if attempt >= o.st.attempts || ctx.Err() != nil {
				break
			}
			t := time.NewTimer(resumeDelay(attempt))
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			if ctx.Err() != nil {
				break
			}
		}
		if body == nil {
			end = off + int64(len(p))
			b, err := o.getRange(parent, ctx, off+int64(n), end-1)
			if err != nil {
				return n, err // the SDK has retried already
			}
			body = b
		}
		// Make ctx reach a body opened under another context (Open's).
		b := body
		stop := context.AfterFunc(ctx, func() { b.Close() })
		m, err := io.ReadFull(body, p[n:])
		n += m
		lastErr = err
		if err == nil && off+int64(n) == end {
			// Read to the end of the body: this lets the connection be
			// reused and the SDK check the object's checksum, if any.
			var one [1]byte
			if _, err := body.Read(one[:]); err != nil && err != io.EOF {
				stop()
				body.Close()
				return n, &Error{Op: "read", Location: o.st.loc(o.key), Msg: "at the end of the object: " + err.Error(), err: err}
			}
		}
		stop()
		body.Close()
		body = nil
	}
	if body != nil { // p was empty
		body.Close()
	}
	if n == len(p) {
		return n, nil
	}
	if ctx.Err() != nil {
		return n, o.st.wrap(parent, "read", o.key, ctx.Err())
	}
	return n, &Error{Op: "read", Location: o.st.loc(o.key), err: lastErr,
		Msg: fmt.Sprintf("the response broke off %d times (%d of %d bytes read): %v", o.st.attempts, n, len(p), lastErr)}
}

// resumeDelay is the pause before resuming a broken response for the
// attempt-th time (from 1): 100 ms doubling up to 2 s, with jitter.
func resumeDelay(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 5)
	d = min(d, 2*time.Second)
	return d/2 + rand.N(d/2)
}

// getRange sends a ranged GET for bytes first..last (inclusive).
func (o *object) getRange(parent, ctx context.Context, first, last int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{
		Bucket: aws.String(o.st.bucket),
		Key:    aws.String(o.key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
	}
	if o.etag != "" {
		in.IfMatch = aws.String(o.etag)
	}
	out, err := o.st.client.GetObject(ctx, in)
	if err != nil {
		return nil, o.st.wrap(parent, "read", o.key, err)
	}
	cr := aws.ToString(out.ContentRange)
	if !strings.HasPrefix(cr, fmt.Sprintf("bytes %d-%d/", first, last)) {
		out.Body.Close()
		return nil, &Error{Op: "read", Location: o.st.loc(o.key), Msg: fmt.Sprintf("the server answered range bytes=%d-%d with Content-Range %q", first, last, cr)}
	}
	return out.Body, nil
}

// ReadFull returns the whole object. See ReadFuller.
func (o *object) ReadFull(ctx context.Context) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, o.errClosed("read")
	}
	if o.data != nil {
		return append([]byte(nil), o.data...), nil
	}
	rctx, cancel := o.st.opContext(ctx)
	defer cancel()
	buf := make([]byte, o.size)
	if _, err := o.fill(ctx, rctx, buf, 0, o.takeBody(0)); err != nil {
		return nil, err
	}
	return buf, nil
}
