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
// its body is kept for the first read (all in savepoint/objstore). An object of up to WholeObjectMax
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
// The driver is a thin driver of savepoint/objstore, the portable layer
// that implements directories, errors, timeouts, listing bounds and reads
// for every object store; it uses the AWS SDK for Go v2 for the requests:
// the SDK carries the credential chain (profiles, SSO, web identity,
// instance roles), SigV4 signing and endpoint rules that a reader of S3
// needs, and costs about 7 MB of the binary. Build with the tag nos3 to
// leave the driver out.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
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
	"github.com/spcheck/spcheck/savepoint/objstore"
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

// Store is a bucket: the portable objstore.Store over this package's
// driver.
type Store = objstore.Store

// Error is the error the store returns for a failed operation.
type Error = objstore.Error

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
	cfg := objstore.Config{
		Name:           "s3store",
		Timeout:        opts.Timeout,
		PageSize:       min(int(set.PageSize), DefaultPageSize),
		MaxAttempts:    set.MaxAttempts,
		WholeObjectMax: set.WholeObjectMax,
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	attempts := set.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	s := &driver{scheme: u.Scheme, bucket: u.Host}

	fc, err := loadFlinkS3(opts.FlinkConf)
	if err != nil {
		return nil, err
	}
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
	cctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	acfg, err := config.LoadDefaultConfig(cctx, lopts...)
	if err != nil {
		return nil, fmt.Errorf("s3store: load AWS configuration: %v", err)
	}
	if acfg.Region == "" {
		acfg.Region = DefaultRegion
	}
	s.client = s3.NewFromConfig(acfg, func(o *s3.Options) {
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
		cfg.Server = "the server at " + s.endpoint
	}

	if fc.accessKey != "" {
		s.credSource = "the Flink configuration " + fc.file
	} else {
		creds, err := acfg.Credentials.Retrieve(cctx)
		if err != nil {
			return nil, fmt.Errorf("s3store: cannot get AWS credentials for %s: looked in the Flink configuration (%s), "+
				"the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the shared files ~/.aws/credentials and ~/.aws/config (AWS_PROFILE), "+
				"a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, as set by EKS IRSA), the container credentials endpoint "+
				"and the EC2 instance role: %v", loc, fc.describe(), err)
		}
		s.credSource = describeSource(creds.Source)
	}
	return objstore.New(s, cfg), nil
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

// driver sends one bucket's requests through the AWS SDK.
type driver struct {
	client     *s3.Client
	scheme     string
	bucket     string
	endpoint   string // for messages: the custom endpoint, or "" for AWS
	credSource string // for messages: where the credentials came from
}

func (s *driver) Location(key string) string {
	return s.scheme + "://" + s.bucket + "/" + key
}

// Close releases nothing: the SDK client holds no resources that need it.
func (s *driver) Close() error { return nil }

func (s *driver) at() string {
	if s.endpoint == "" {
		return ""
	}
	return " at " + s.endpoint
}

func (s *driver) Attributes(ctx context.Context, key string) (objstore.Attributes, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return objstore.Attributes{}, err
	}
	return objstore.Attributes{Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified), Version: aws.ToString(out.ETag)}, nil
}

func (s *driver) ListPage(ctx context.Context, prefix, delimiter string, pageSize int, token string) (*objstore.Page, error) {
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(s.bucket),
		Prefix:  aws.String(prefix),
		MaxKeys: aws.Int32(int32(pageSize)),
	}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	out, err := s.client.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, err
	}
	pg := &objstore.Page{}
	for _, o := range out.Contents {
		pg.Objects = append(pg.Objects, objstore.Entry{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
	}
	for _, cp := range out.CommonPrefixes {
		pg.Prefixes = append(pg.Prefixes, aws.ToString(cp.Prefix))
	}
	if aws.ToBool(out.IsTruncated) {
		pg.Next = aws.ToString(out.NextContinuationToken)
		if pg.Next == "" {
			return nil, fmt.Errorf("the server said the listing goes on but sent no continuation token")
		}
	}
	return pg, nil
}

type reader struct {
	io.ReadCloser
	attrs objstore.Attributes
}

func (r *reader) Attributes() objstore.Attributes { return r.attrs }

func (s *driver) NewRangeReader(ctx context.Context, key string, off, length int64, version string) (objstore.Reader, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if rng := objstore.RangeHeader(off, length); rng != "" {
		in.Range = aws.String(rng)
	}
	if version != "" {
		in.IfMatch = aws.String(version)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, err
	}
	a := objstore.Attributes{Size: -1, ModTime: aws.ToTime(out.LastModified), Version: aws.ToString(out.ETag)}
	whole := int64(-1)
	if out.ContentLength != nil {
		whole = *out.ContentLength
	}
	size, body, err := objstore.RangeBody(off, length, aws.ToString(out.ContentRange), whole, out.Body)
	if err != nil {
		return nil, err
	}
	a.Size = size
	return &reader{ReadCloser: body, attrs: a}, nil
}

// Describe words an SDK error.
func (s *driver) Describe(op string, err error) (objstore.Kind, string) {
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
	case code == "NoSuchBucket":
		return objstore.KindNoBucket, fmt.Sprintf("bucket %q does not exist%s", s.bucket, s.at())
	case code == "NoSuchKey" || code == "NotFound" || status == 404:
		return objstore.KindNotFound, "no such object"
	case code == "SignatureDoesNotMatch":
		return objstore.KindPermission, fmt.Sprintf("access denied (%s): the secret key does not match the access key; check the %s", code, creds)
	case code == "InvalidAccessKeyId":
		return objstore.KindPermission, fmt.Sprintf("access denied (%s): the server%s does not know the access key; check the %s", code, s.at(), creds)
	case code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired":
		return objstore.KindPermission, fmt.Sprintf("access denied (%s): the session token is expired or invalid; renew the %s", code, creds)
	case code == "AccessDenied" || code == "Forbidden" || code == "AllAccessDisabled" || status == 403:
		if code == "" {
			code = "403"
		}
		return objstore.KindPermission, fmt.Sprintf("access denied (%s): check that the %s may read bucket %q (s3:GetObject, s3:ListBucket)", code, creds, s.bucket)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == 301:
		return objstore.KindOther, fmt.Sprintf("bucket %q is in another region than the one configured; set s3.region in the Flink configuration or AWS_REGION: %v", s.bucket, err)
	case code == "PreconditionFailed" || status == 412:
		return objstore.KindChanged, "the object changed while it was being read"
	case code == "InvalidRange" || status == 416:
		return objstore.KindRange, "the range starts past the end of the object"
	}
	return objstore.KindOther, err.Error()
}
