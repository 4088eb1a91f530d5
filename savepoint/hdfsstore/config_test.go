package hdfsstore

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
)

// fakeEnv is an environment of the given variables, for an OS user named
// "osuser" with uid 1234 (nil vars: no such user either).
func fakeEnv(vars map[string]string) environ {
	return environ{
		getenv: func(k string) string { return vars[k] },
		currentUser: func() (*user.User, error) {
			if vars == nil {
				return nil, errors.New("no user")
			}
			return &user.User{Username: "osuser", Uid: "1234"}, nil
		},
	}
}

// confDir writes a Hadoop configuration directory: core-site.xml and
// hdfs-site.xml with the given properties.
func confDir(t *testing.T, core, hdfsSite map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, props := range map[string]map[string]string{"core-site.xml": core, "hdfs-site.xml": hdfsSite} {
		if props == nil {
			continue
		}
		var b strings.Builder
		b.WriteString("<configuration>\n")
		for k, v := range props {
			fmt.Fprintf(&b, "<property><name>%s</name><value>%s</value></property>\n", k, v)
		}
		b.WriteString("</configuration>\n")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestNamenodes(t *testing.T) {
	ha := hadoopconf.HadoopConf{
		"fs.defaultFS":                           "hdfs://mycluster",
		"dfs.nameservices":                       "mycluster,ns2",
		"dfs.ha.namenodes.mycluster":             "nn2, nn1",
		"dfs.namenode.rpc-address.mycluster.nn1": "a.example:8020",
		"dfs.namenode.rpc-address.mycluster.nn2": "b.example:9000",
		"dfs.namenode.rpc-address.ns2":           "c.example:8020",
		"dfs.ha.namenodes.broken":                "nn1,nn2",
		"dfs.namenode.rpc-address.broken.nn1":    "d.example:8020",
	}
	for _, tc := range []struct {
		loc  string
		conf hadoopconf.HadoopConf
		want string // addresses, or "error: substring"
	}{
		{"hdfs://nn.example:9000/sp", nil, "nn.example:9000"},
		{"hdfs://nn.example/sp", nil, "nn.example:8020"},
		{"hdfs://nn.example:/sp", nil, "nn.example:8020"},
		{"hdfs://[::1]:9000/sp", nil, "[::1]:9000"},
		{"hdfs://nn.example:9000/sp", ha, "nn.example:9000"},
		{"hdfs://mycluster/sp", ha, "b.example:9000 a.example:8020"}, // in dfs.ha.namenodes order
		{"hdfs:///sp", ha, "b.example:9000 a.example:8020"},
		{"hdfs://ns2/sp", ha, "c.example:8020"},
		{"hdfs://other/sp", ha, "other:8020"},
		{"hdfs:///sp", hadoopconf.HadoopConf{"fs.defaultFS": "hdfs://nn.example:9000"}, "nn.example:9000"},
		{"hdfs:///sp", hadoopconf.HadoopConf{"fs.default.name": "hdfs://old.example"}, "old.example:8020"},
		{"hdfs://broken/sp", ha, "error: lists namenode nn2 but sets no dfs.namenode.rpc-address.broken.nn2"},
		{"hdfs:///sp", nil, "error: no Hadoop configuration was found (set HADOOP_CONF_DIR)"},
		{"hdfs:///sp", hadoopconf.HadoopConf{"fs.defaultFS": "file:///"}, `error: fs.defaultFS in /conf is "file:///"`},
	} {
		dir := "/conf"
		if tc.conf == nil {
			dir = "" // as loadConf returns it
		}
		addrs, _, err := namenodes(mustParse(t, tc.loc), tc.conf, dir)
		got := strings.Join(addrs, " ")
		if err != nil {
			got = "error: " + err.Error()
			if strings.HasPrefix(tc.want, "error: ") && strings.Contains(got, tc.want[len("error: "):]) {
				continue
			}
		}
		if got != tc.want {
			t.Errorf("namenodes(%s) = %s, want %s", tc.loc, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	conf := confDir(t,
		map[string]string{"fs.defaultFS": "hdfs://mycluster"},
		map[string]string{
			"dfs.ha.namenodes.mycluster":             "nn1,nn2",
			"dfs.namenode.rpc-address.mycluster.nn1": "a.example:8020",
			"dfs.namenode.rpc-address.mycluster.nn2": "b.example:8020",
		})
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "etc", "hadoop"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "etc", "hadoop", "core-site.xml"),
		[]byte("<configuration><property><name>fs.defaultFS</name><value>hdfs://home.example:1</value></property></configuration>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		loc  string
		env  map[string]string
		want string // "addresses as user (source)", or "error: substring"
	}{
		{"HostPort", "hdfs://nn:9000/sp", map[string]string{}, "nn:9000 as osuser ()"},
		{"HadoopUserName", "hdfs://nn:9000/sp", map[string]string{"HADOOP_USER_NAME": "flink"}, "nn:9000 as flink ()"},
		{"NoOSUser", "hdfs://nn:9000/sp", nil, "error: set HADOOP_USER_NAME"},
		{"ConfDir", "hdfs://mycluster/sp", map[string]string{"HADOOP_CONF_DIR": conf},
			"a.example:8020 b.example:8020 as osuser (nameservice mycluster in " + conf + ")"},
		{"DefaultFS", "hdfs:///sp", map[string]string{"HADOOP_CONF_DIR": conf},
			"a.example:8020 b.example:8020 as osuser (nameservice mycluster in " + conf + ")"},
		{"HadoopHome", "hdfs:///sp", map[string]string{"HADOOP_HOME": home}, "home.example:1 as osuser (fs.defaultFS)"},
		{"ConfDirFirst", "hdfs:///sp", map[string]string{"HADOOP_HOME": home, "HADOOP_CONF_DIR": conf},
			"a.example:8020 b.example:8020 as osuser (nameservice mycluster in " + conf + ")"},
		{"ConfDirMissing", "hdfs://nn:1/sp", map[string]string{"HADOOP_CONF_DIR": "/nonexistent"},
			"error: hdfsstore: HADOOP_CONF_DIR=/nonexistent is not a directory"},
		{"UserInfo", "hdfs://bob@nn:1/sp", map[string]string{}, "error: set HADOOP_USER_NAME instead"},
		{"Query", "hdfs://nn:1/sp?replication=3", map[string]string{}, `error: unknown query parameter "replication"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := resolve(mustParse(t, tc.loc), fakeEnv(tc.env))
			var got string
			if err != nil {
				got = "error: " + err.Error()
				if !strings.HasPrefix(err.Error(), "hdfsstore: ") {
					t.Errorf("error %q does not start with the package name", err)
				}
				if strings.HasPrefix(tc.want, "error: ") && strings.Contains(got, tc.want[len("error: "):]) {
					return
				}
			} else {
				got = fmt.Sprintf("%s as %s (%s)", strings.Join(s.namenodes, " "), s.user, s.source)
			}
			if got != tc.want {
				t.Errorf("resolve(%s) = %s\nwant %s", tc.loc, got, tc.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	s := &settings{namenodes: []string{"a:1"}}
	if got := s.describe(); got != "namenode a:1" {
		t.Errorf("describe = %q", got)
	}
	s = &settings{namenodes: []string{"a:1", "b:2"}, source: "nameservice ns in /etc/hadoop"}
	if got := s.describe(); got != "namenodes a:1, b:2 (nameservice ns in /etc/hadoop)" {
		t.Errorf("describe = %q", got)
	}
}
