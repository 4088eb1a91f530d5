package savepoint

import (
	"net/url"
	"regexp"
	"strings"
)

// sasParams are the query parameters of an Azure shared access signature
// (SAS token): sig is the signature itself, the others say what it grants
// and for how long; a SAS token is redacted whole.
var sasParams = map[string]bool{
	"sig": true, "sv": true, "ss": true, "srt": true, "sp": true, "se": true, "st": true, "spr": true,
	"sr": true, "si": true, "sdd": true, "skoid": true, "sktid": true, "skt": true, "ske": true,
	"sks": true, "skv": true, "saoid": true, "suoid": true, "scid": true, "sip": true,
}

// secretParam says whether a query parameter may carry a secret: AWS
// presigned-URL parameters (X-Amz-*), SAS tokens, and anything named like
// a key, token, password, signature or credential.
func secretParam(k string) bool {
	lk := strings.ToLower(k)
	return strings.HasPrefix(lk, "x-amz-") || sasParams[lk] ||
		strings.Contains(lk, "secret") || strings.Contains(lk, "key") || strings.Contains(lk, "token") ||
		strings.Contains(lk, "password") || strings.Contains(lk, "signature") || strings.Contains(lk, "credential")
}

var (
	urlInText   = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)
	paramInText = regexp.MustCompile(`(?i)\b(sig|x-amz-[a-z-]+|[a-z_-]*(?:secret|token|password|signature|credential)[a-z_-]*)=[^\s&"'<>]+`)
)

// RedactText redacts every URL in s as Redact does, and any secret query
// parameter written outside a URL ("sig=…"), for messages that quote
// errors of storage SDKs, which may include request URLs.
func RedactText(s string) string {
	s = urlInText.ReplaceAllStringFunc(s, func(m string) string {
		trail := ""
		for len(m) > 0 && strings.ContainsRune(".,;:)]", rune(m[len(m)-1])) {
			trail = m[len(m)-1:] + trail
			m = m[:len(m)-1]
		}
		u, err := url.Parse(m)
		if err != nil || u.Scheme == "" {
			return "(URL not shown)" + trail
		}
		if u.User == nil && u.RawQuery == "" {
			return m + trail
		}
		return Redact(u) + trail
	})
	return paramInText.ReplaceAllString(s, "${1}=REDACTED")
}
