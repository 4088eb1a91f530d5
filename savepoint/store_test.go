package savepoint

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/tmp/sp", "/tmp/sp"},
		{"s3://AKIAEXAMPLE:secret@bucket/sp", "s3://bucket/sp"},
		{"s3://bucket/sp?X-Amz-Signature=abc&part=1", "s3://bucket/sp?X-Amz-Signature=REDACTED&part=1"},
		{"abfss://savepoints@account.dfs.core.windows.net/sp", "abfss://savepoints@account.dfs.core.windows.net/sp"},
		{"wasbs://c:key@account.blob.core.windows.net/sp", "wasbs://account.blob.core.windows.net/sp"},
		{"hdfs://user@nn:8020/sp", "hdfs://nn:8020/sp"},
	} {
		u, err := ParseLocation(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Redact(u); got != tc.want {
			t.Errorf("Redact(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://acct.blob.core.windows.net/c/sp?sv=2022-11-02&ss=b&sp=rl&se=2030-01-01&sig=c2VjcmV0c2ln", "https://acct.blob.core.windows.net/c/sp?se=REDACTED&sig=REDACTED&sp=REDACTED&ss=REDACTED&sv=REDACTED"},
		{"s3://b/k?X-Amz-Algorithm=AWS4&X-Amz-Date=20260101&X-Amz-Expires=60&part=2", "s3://b/k?X-Amz-Algorithm=REDACTED&X-Amz-Date=REDACTED&X-Amz-Expires=REDACTED&part=2"},
		{"gs://user:pa55word@bucket/sp", "gs://bucket/sp"},
	} {
		u, err := ParseLocation(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Redact(u); got != tc.want {
			t.Errorf("Redact(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`GET "https://a.blob.core.windows.net/c/x?sig=abc%2Bdef&sv=1": 403.`, `GET "https://a.blob.core.windows.net/c/x?sig=REDACTED&sv=REDACTED": 403.`},
		{"request to http://u:hunter2@host:9000/b failed", "request to http://host:9000/b failed"},
		{"signed with sig=abcdef and X-Amz-Credential=AKIA/2026 (expired)", "signed with sig=REDACTED and X-Amz-Credential=REDACTED (expired)"},
		{"plain /tmp/sp/_metadata: no such file", "plain /tmp/sp/_metadata: no such file"},
	} {
		if got := RedactText(tc.in); got != tc.want {
			t.Errorf("RedactText(%s)\n = %s\nwant %s", tc.in, got, tc.want)
		}
	}
}
