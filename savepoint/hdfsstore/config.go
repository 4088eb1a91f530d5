package hdfsstore

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"

	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/spcheck/spcheck/savepoint"
)

// defaultPort is the NameNode RPC port a location without one uses when no
// configuration names it (dfs.namenode.rpc-address defaults to :8020).
const defaultPort = "8020"

// environ is the process environment the driver reads; tests replace it.
type environ struct {
	getenv      func(string) string
	currentUser func() (*user.User, error)
}

var osEnviron = environ{getenv: os.Getenv, currentUser: user.Current}

// settings is what a location and the environment resolve to.
type settings struct {
	namenodes []string // host:port, tried in order
	source    string   // where the namenodes came from, for messages
	user      string   // the HDFS user under SIMPLE authentication
	conf      hadoopconf.HadoopConf
	confDir   string            // "" when no configuration was read
	kerberos  *kerberosSettings // nil under SIMPLE authentication
}

// describe names the namenodes for messages.
func (s *settings) describe() string {
	nn := "namenode " + s.namenodes[0]
	if len(s.namenodes) > 1 {
		nn = "namenodes " + strings.Join(s.namenodes, ", ")
	}
	if s.source != "" {
		nn += " (" + s.source + ")"
	}
	return nn
}

// resolve works out where and as whom to connect for the location u.
func resolve(u *url.URL, env environ) (*settings, error) {
	loc := savepoint.Redact(u)
	if u.User != nil {
		return nil, fmt.Errorf("hdfsstore: %s: a user in an hdfs:// location is not supported; set HADOOP_USER_NAME instead", loc)
	}
	if u.RawQuery != "" {
		var names []string
		for k := range u.Query() {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("hdfsstore: %s: unknown query parameter %q; hdfs:// locations take none", loc, names[0])
	}
	s := &settings{}
	var err error
	if s.conf, s.confDir, err = loadConf(env); err != nil {
		return nil, err
	}
	if s.namenodes, s.source, err = namenodes(u, s.conf, s.confDir); err != nil {
		return nil, err
	}
	if strings.EqualFold(s.conf["hadoop.security.authentication"], "kerberos") {
		if s.kerberos, err = kerberosFromEnv(s.conf, s.confDir, env); err != nil {
			return nil, err
		}
		return s, nil
	}
	if s.user, err = hadoopUser(env); err != nil {
		return nil, err
	}
	return s, nil
}

// loadConf reads core-site.xml and hdfs-site.xml from $HADOOP_CONF_DIR, or
// else $HADOOP_HOME/etc/hadoop. Neither set, or no files there: a nil
// configuration.
func loadConf(env environ) (hadoopconf.HadoopConf, string, error) {
	dir := env.getenv("HADOOP_CONF_DIR")
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, "", fmt.Errorf("hdfsstore: HADOOP_CONF_DIR=%s is not a directory", dir)
		}
	} else if home := env.getenv("HADOOP_HOME"); home != "" {
		dir = filepath.Join(home, "etc", "hadoop")
	} else {
		return nil, "", nil
	}
	conf, err := hadoopconf.Load(dir)
	if err != nil {
		return nil, "", fmt.Errorf("hdfsstore: reading Hadoop configuration in %s: %v", dir, err)
	}
	if conf == nil {
		return nil, "", nil
	}
	return conf, dir, nil
}

// namenodes returns the namenode addresses for u's authority:
//   - host:port: that namenode;
//   - no authority (hdfs:///path): the authority of fs.defaultFS;
//   - a name without a port: the namenodes of that nameservice
//     (dfs.ha.namenodes.NAME and dfs.namenode.rpc-address.NAME.ID, in the
//     order listed), or dfs.namenode.rpc-address.NAME, or else NAME:8020.
func namenodes(u *url.URL, conf hadoopconf.HadoopConf, confDir string) (addrs []string, source string, err error) {
	host := u.Host
	if host == "" {
		def := conf["fs.defaultFS"]
		if def == "" {
			def = conf["fs.default.name"] // the deprecated name
		}
		du, err := url.Parse(def)
		if def == "" || err != nil || du.Scheme != "hdfs" || du.Host == "" {
			where := "no Hadoop configuration was found (set HADOOP_CONF_DIR)"
			if confDir != "" {
				where = fmt.Sprintf("fs.defaultFS in %s is %q", confDir, def)
			}
			return nil, "", fmt.Errorf("hdfsstore: %s names no namenode and %s; write hdfs://namenode:port/path", savepoint.Redact(u), where)
		}
		host = du.Host
		source = "fs.defaultFS"
	}
	if h, port, err := net.SplitHostPort(host); err == nil && port != "" {
		return []string{net.JoinHostPort(h, port)}, source, nil
	}
	name := strings.TrimSuffix(host, ":")
	if ids := conf["dfs.ha.namenodes."+name]; ids != "" {
		for _, id := range strings.Split(ids, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			key := "dfs.namenode.rpc-address." + name + "." + id
			addr := conf[key]
			if addr == "" {
				return nil, "", fmt.Errorf("hdfsstore: nameservice %s in %s lists namenode %s but sets no %s", name, confDir, id, key)
			}
			addrs = append(addrs, addr)
		}
		if len(addrs) == 0 {
			return nil, "", fmt.Errorf("hdfsstore: nameservice %s in %s lists no namenodes in dfs.ha.namenodes.%s", name, confDir, name)
		}
		return addrs, "nameservice " + name + " in " + confDir, nil
	}
	if addr := conf["dfs.namenode.rpc-address."+name]; addr != "" {
		return []string{addr}, "nameservice " + name + " in " + confDir, nil
	}
	return []string{net.JoinHostPort(name, defaultPort)}, source, nil
}

// hadoopUser is the user to act as under SIMPLE authentication:
// $HADOOP_USER_NAME, as the Hadoop client honours it, or the OS user.
func hadoopUser(env environ) (string, error) {
	if u := env.getenv("HADOOP_USER_NAME"); u != "" {
		return u, nil
	}
	if u, err := env.currentUser(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := env.getenv("USER"); u != "" {
		return u, nil
	}
	return "", fmt.Errorf("hdfsstore: cannot tell which HDFS user to act as; set HADOOP_USER_NAME")
}
