package hdfsstore

// No KDC is available to the tests: they cover how the driver chooses and
// loads Kerberos configuration and credentials, and that it then asks the
// namenode for SASL, up to the point where a real KDC would be contacted.

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
	"github.com/jcmturner/gokrb5/v8/test/testdata"

	"github.com/spcheck/spcheck/internal/fakehdfs"
	"github.com/spcheck/spcheck/savepoint"
)

// The ticket cache in gokrb5's test data holds a TGT of
// testuser1@TEST.GOKRB5 valid from 2017-07-12 17:25:34 to 2017-07-13
// 05:25:34 UTC; its keytab holds keys of testuser1@TEST.GOKRB5.
var ticketValid = time.Date(2017, 7, 12, 20, 0, 0, 0, time.UTC)

const krb5Conf = `[libdefaults]
  default_realm = TEST.GOKRB5
  dns_lookup_kdc = false

[realms]
  TEST.GOKRB5 = {
    kdc = 127.0.0.1:88
  }
`

func writeHex(t *testing.T, name, hexData string) string {
	t.Helper()
	b, err := hex.DecodeString(hexData)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var kerberosConf = hadoopconf.HadoopConf{
	"hadoop.security.authentication":  "kerberos",
	"dfs.namenode.kerberos.principal": "nn/_HOST@TEST.GOKRB5",
}

func TestKerberosSelection(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf hadoopconf.HadoopConf
		env  map[string]string
		want kerberosSettings
		err  string
	}{
		{name: "DefaultCache", conf: kerberosConf, env: map[string]string{},
			want: kerberosSettings{krb5Conf: "/etc/krb5.conf", ccache: "/tmp/krb5cc_1234", spn: "nn/_HOST"}},
		{name: "KRB5CCNAMEFile", conf: kerberosConf, env: map[string]string{"KRB5CCNAME": "FILE:/run/user/cc"},
			want: kerberosSettings{krb5Conf: "/etc/krb5.conf", ccache: "/run/user/cc", spn: "nn/_HOST"}},
		{name: "KRB5CCNAMEPath", conf: kerberosConf, env: map[string]string{"KRB5CCNAME": "/tmp/my:cache"},
			want: kerberosSettings{krb5Conf: "/etc/krb5.conf", ccache: "/tmp/my:cache", spn: "nn/_HOST"}},
		{name: "KRB5CCNAMEKeyring", conf: kerberosConf, env: map[string]string{"KRB5CCNAME": "KEYRING:persistent:1000"},
			err: "KRB5CCNAME=KEYRING:persistent:1000 is a KEYRING ticket cache, which cannot be read"},
		{name: "KRB5CCNAMEKCM", conf: kerberosConf, env: map[string]string{"KRB5CCNAME": "KCM:"},
			err: "is a KCM ticket cache"},
		{name: "NoUserForDefaultCache", conf: kerberosConf, env: nil, err: "set KRB5CCNAME"},
		{name: "KRB5Config", conf: kerberosConf, env: map[string]string{"KRB5_CONFIG": "/etc/krb5.site.conf:/etc/krb5.conf"},
			want: kerberosSettings{krb5Conf: "/etc/krb5.site.conf", ccache: "/tmp/krb5cc_1234", spn: "nn/_HOST"}},
		{name: "Keytab", conf: kerberosConf,
			env:  map[string]string{"SPCHECK_KERBEROS_KEYTAB": "/etc/flink.keytab", "SPCHECK_KERBEROS_PRINCIPAL": "flink/host@EX", "KRB5CCNAME": "KEYRING:x"},
			want: kerberosSettings{krb5Conf: "/etc/krb5.conf", keytab: "/etc/flink.keytab", principal: "flink/host@EX", spn: "nn/_HOST"}},
		{name: "PrincipalWithoutKeytab", conf: kerberosConf, env: map[string]string{"SPCHECK_KERBEROS_PRINCIPAL": "flink@EX"},
			err: "SPCHECK_KERBEROS_PRINCIPAL is set but SPCHECK_KERBEROS_KEYTAB is not"},
		{name: "NoSPN", conf: hadoopconf.HadoopConf{"hadoop.security.authentication": "kerberos"}, env: map[string]string{},
			err: "hadoop.security.authentication is kerberos in /conf but dfs.namenode.kerberos.principal is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := kerberosFromEnv(tc.conf, "/conf", fakeEnv(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "hdfsstore: ") {
					t.Errorf("error = %v, want hdfsstore: …%s…", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *k != tc.want {
				t.Errorf("settings = %+v\nwant       %+v", *k, tc.want)
			}
		})
	}
}

func TestResolveKerberos(t *testing.T) {
	dir := confDir(t, map[string]string{"hadoop.security.authentication": "Kerberos"},
		map[string]string{"dfs.namenode.kerberos.principal": "nn/_HOST@TEST.GOKRB5"})
	s, err := resolve(mustParse(t, "hdfs://nn:8020/sp"), fakeEnv(map[string]string{"HADOOP_CONF_DIR": dir, "HADOOP_USER_NAME": "ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.kerberos == nil || s.kerberos.spn != "nn/_HOST" || s.user != "" {
		t.Errorf("resolve under kerberos: kerberos %+v, user %q; want kerberos settings and no SIMPLE user", s.kerberos, s.user)
	}
	dir = confDir(t, map[string]string{"hadoop.security.authentication": "simple"}, nil)
	s, err = resolve(mustParse(t, "hdfs://nn:8020/sp"), fakeEnv(map[string]string{"HADOOP_CONF_DIR": dir, "HADOOP_USER_NAME": "flink"}))
	if err != nil || s.kerberos != nil || s.user != "flink" {
		t.Errorf("resolve under simple: %+v, %v", s, err)
	}
}

func TestKerberosKeytab(t *testing.T) {
	conf := writeFile(t, "krb5.conf", krb5Conf)
	kt := writeHex(t, "user.keytab", testdata.KEYTAB_TESTUSER1_TEST_GOKRB5)
	for _, tc := range []struct {
		principal, wantUser, wantRealm, err string
	}{
		{principal: "", wantUser: "testuser1", wantRealm: "TEST.GOKRB5"},          // the keytab's first
		{principal: "testuser1", wantUser: "testuser1", wantRealm: "TEST.GOKRB5"}, // default_realm
		{principal: "testuser1@TEST.GOKRB5", wantUser: "testuser1", wantRealm: "TEST.GOKRB5"},
		{principal: "flink@TEST.GOKRB5", err: "holds no key for flink@TEST.GOKRB5"},
		{principal: "testuser1@OTHER", err: "holds no key for testuser1@OTHER"},
	} {
		k := &kerberosSettings{krb5Conf: conf, keytab: kt, principal: tc.principal, spn: "nn/_HOST"}
		cl, err := k.client(time.Now())
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("principal %q: error = %v, want …%s…", tc.principal, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("principal %q: %v", tc.principal, err)
			continue
		}
		if cl.Credentials.UserName() != tc.wantUser || cl.Credentials.Realm() != tc.wantRealm || !cl.Credentials.HasKeytab() {
			t.Errorf("principal %q: client for %s@%s (keytab %v)", tc.principal, cl.Credentials.UserName(), cl.Credentials.Realm(), cl.Credentials.HasKeytab())
		}
		cl.Destroy()
	}

	k := &kerberosSettings{krb5Conf: conf, keytab: filepath.Join(t.TempDir(), "missing.keytab")}
	if _, err := k.client(time.Now()); err == nil || !strings.Contains(err.Error(), "SPCHECK_KERBEROS_KEYTAB") {
		t.Errorf("missing keytab: error = %v", err)
	}
	k = &kerberosSettings{krb5Conf: filepath.Join(t.TempDir(), "missing.conf"), keytab: kt}
	if _, err := k.client(time.Now()); err == nil || !strings.Contains(err.Error(), "set KRB5_CONFIG") {
		t.Errorf("missing krb5.conf: error = %v", err)
	}
}

func TestKerberosTicketCache(t *testing.T) {
	conf := writeFile(t, "krb5.conf", krb5Conf)
	cc := writeHex(t, "krb5cc", testdata.CCACHE_TEST)

	k := &kerberosSettings{krb5Conf: conf, ccache: cc}
	cl, err := k.client(ticketValid)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Credentials.UserName() != "testuser1" || cl.Credentials.Realm() != "TEST.GOKRB5" {
		t.Errorf("client for %s@%s, want testuser1@TEST.GOKRB5", cl.Credentials.UserName(), cl.Credentials.Realm())
	}
	cl.Destroy()

	_, err = k.client(time.Now())
	if want := "the Kerberos ticket of testuser1@TEST.GOKRB5 in " + cc + " expired at 2017-07-13T05:25:34Z; run kinit"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("expired ticket: error = %v, want …%s", err, want)
	}

	k.ccache = filepath.Join(t.TempDir(), "krb5cc_missing")
	if _, err := k.client(ticketValid); err == nil || !strings.Contains(err.Error(), "no Kerberos ticket cache at "+k.ccache+"; run kinit") {
		t.Errorf("missing ticket cache: error = %v", err)
	}
	k.ccache = writeFile(t, "krb5cc_garbage", "\x05\x04\x00\x0c garbage")
	if _, err := k.client(ticketValid); err == nil || !strings.HasPrefix(err.Error(), "hdfsstore: reading Kerberos ticket cache") {
		t.Errorf("malformed ticket cache: error = %v", err)
	}
}

// TestKerberosHandshake checks that with Kerberos configured the client
// asks the namenode for SASL authentication. The fake refuses SASL, which
// stops the handshake before a KDC would be contacted.
func TestKerberosHandshake(t *testing.T) {
	srv, err := fakehdfs.Start(t.TempDir(), fakehdfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := confDir(t,
		map[string]string{"hadoop.security.authentication": "kerberos"},
		map[string]string{"dfs.namenode.kerberos.principal": "nn/_HOST@TEST.GOKRB5"})
	env := fakeEnv(map[string]string{
		"HADOOP_CONF_DIR": dir,
		"KRB5_CONFIG":     writeFile(t, "krb5.conf", krb5Conf),
		"KRB5CCNAME":      "FILE:" + writeHex(t, "krb5cc", testdata.CCACHE_TEST),
	})
	u := mustParse(t, "hdfs://"+srv.Addr()+"/sp")
	_, err = openStore(context.Background(), u, savepoint.Options{Timeout: 5 * time.Second}, env, func() time.Time { return ticketValid })
	if err == nil || !strings.Contains(err.Error(), "SASL handshake") || !strings.Contains(err.Error(), "AccessControlException") {
		t.Errorf("open with Kerberos against a SIMPLE-only namenode: error = %v, want the SASL handshake refused", err)
	}
}
