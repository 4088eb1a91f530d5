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
