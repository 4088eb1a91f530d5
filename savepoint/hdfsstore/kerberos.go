package hdfsstore

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
	krb "github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"
)

// kerberosSettings say how to authenticate to a cluster whose
// hadoop.security.authentication is kerberos.
type kerberosSettings struct {
	krb5Conf  string // krb5.conf: $KRB5_CONFIG or /etc/krb5.conf
	keytab    string // $SPCHECK_KERBEROS_KEYTAB; "" to use the ticket cache
	principal string // $SPCHECK_KERBEROS_PRINCIPAL; "" for the keytab's first
	ccache    string // the FILE ticket cache, when there is no keytab
	spn       string // dfs.namenode.kerberos.principal without the realm
}

// kerberosFromEnv chooses the credentials: a keytab if
// SPCHECK_KERBEROS_KEYTAB is set, else the ticket cache kinit wrote
// ($KRB5CCNAME, or /tmp/krb5cc_UID).
func kerberosFromEnv(conf hadoopconf.HadoopConf, confDir string, env environ) (*kerberosSettings, error) {
	spn := conf["dfs.namenode.kerberos.principal"]
	if spn == "" {
		return nil, fmt.Errorf("hdfsstore: hadoop.security.authentication is kerberos in %s but dfs.namenode.kerberos.principal is not set", confDir)
	}
	k := &kerberosSettings{
		krb5Conf:  "/etc/krb5.conf",
		keytab:    env.getenv("SPCHECK_KERBEROS_KEYTAB"),
		principal: env.getenv("SPCHECK_KERBEROS_PRINCIPAL"),
		spn:       strings.SplitN(spn, "@", 2)[0],
	}
	if v := env.getenv("KRB5_CONFIG"); v != "" {
		// MIT Kerberos reads a colon-separated list; gokrb5 reads one file.
		k.krb5Conf = strings.Split(v, ":")[0]
	}
	if k.keytab != "" {
		return k, nil
	}
	if k.principal != "" {
		return nil, errors.New("hdfsstore: SPCHECK_KERBEROS_PRINCIPAL is set but SPCHECK_KERBEROS_KEYTAB is not; set both to log in with a keytab, or neither to use the ticket cache from kinit")
	}
	cc := env.getenv("KRB5CCNAME")
	if cc == "" {
		u, err := env.currentUser()
		if err != nil {
			return nil, fmt.Errorf("hdfsstore: cannot find the default Kerberos ticket cache (%v); set KRB5CCNAME", err)
		}
		k.ccache = "/tmp/krb5cc_" + u.Uid
		return k, nil
	}
	// KRB5CCNAME is TYPE:residual, or a file name.
	if i := strings.Index(cc, ":"); i > 0 && !strings.Contains(cc[:i], "/") {
		if typ := cc[:i]; typ != "FILE" {
			return nil, fmt.Errorf("hdfsstore: KRB5CCNAME=%s is a %s ticket cache, which cannot be read; "+
				"use a file (kinit -c FILE:/tmp/krb5cc_$(id -u), then KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u)) or SPCHECK_KERBEROS_KEYTAB", cc, typ)
		}
		cc = cc[i+1:]
	}
	k.ccache = cc
	return k, nil
}

// client loads the configuration and credentials. It does not contact
// the KDC: the HDFS client does when it first connects.
func (k *kerberosSettings) client(now time.Time) (*krb.Client, error) {
	cfg, err := config.Load(k.krb5Conf)
	if err != nil {
		return nil, fmt.Errorf("hdfsstore: reading Kerberos configuration (set KRB5_CONFIG): %v", err)
	}
	if k.keytab != "" {
		return k.keytabClient(cfg)
	}
	return k.ccacheClient(cfg, now)
}

func (k *kerberosSettings) keytabClient(cfg *config.Config) (*krb.Client, error) {
	kt, err := keytab.Load(k.keytab)
	if err != nil {
		return nil, fmt.Errorf("hdfsstore: reading keytab %s (SPCHECK_KERBEROS_KEYTAB): %v", k.keytab, err)
	}
	name, realm := k.principal, ""
	if name == "" {
		if len(kt.Entries) == 0 {
			return nil, fmt.Errorf("hdfsstore: keytab %s holds no keys", k.keytab)
		}
		p := kt.Entries[0].Principal
		name, realm = strings.Join(p.Components, "/"), p.Realm
	} else if i := strings.LastIndex(name, "@"); i >= 0 {
		name, realm = name[:i], name[i+1:]
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return nil, fmt.Errorf("hdfsstore: principal %s names no realm and %s sets no default_realm", name, k.krb5Conf)
	}
	if !hasKey(kt, name, realm) {
		return nil, fmt.Errorf("hdfsstore: keytab %s holds no key for %s@%s (SPCHECK_KERBEROS_PRINCIPAL)", k.keytab, name, realm)
	}
	return krb.NewWithKeytab(name, realm, kt, cfg, krb.DisablePAFXFAST(true)), nil
}

func hasKey(kt *keytab.Keytab, name, realm string) bool {
	for _, e := range kt.Entries {
		if e.Principal.Realm == realm && strings.Join(e.Principal.Components, "/") == name {
			return true
		}
	}
	return false
}

func (k *kerberosSettings) ccacheClient(cfg *config.Config, now time.Time) (*krb.Client, error) {
	cc, err := loadCCache(k.ccache)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("hdfsstore: no Kerberos ticket cache at %s; run kinit, or set KRB5CCNAME or SPCHECK_KERBEROS_KEYTAB", k.ccache)
	}
	if err != nil {
		return nil, fmt.Errorf("hdfsstore: reading Kerberos ticket cache %s: %v", k.ccache, err)
	}
	realm := cc.DefaultPrincipal.Realm
	who := cc.DefaultPrincipal.PrincipalName.PrincipalNameString() + "@" + realm
	tgt, ok := cc.GetEntry(types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", realm}})
	if !ok {
		return nil, fmt.Errorf("hdfsstore: Kerberos ticket cache %s holds no ticket-granting ticket for %s; run kinit", k.ccache, who)
	}
	if !tgt.EndTime.After(now) {
		return nil, fmt.Errorf("hdfsstore: the Kerberos ticket of %s in %s expired at %s; run kinit",
			who, k.ccache, tgt.EndTime.UTC().Format(time.RFC3339))
	}
	cl, err := krb.NewFromCCache(cc, cfg, krb.DisablePAFXFAST(true))
	if err != nil {
		return nil, fmt.Errorf("hdfsstore: Kerberos ticket cache %s: %v", k.ccache, err)
	}
	return cl, nil
}

// loadCCache reads a ticket cache; gokrb5's parser panics on some
// truncated files.
func loadCCache(path string) (cc *credentials.CCache, err error) {
	defer func() {
		if r := recover(); r != nil {
			cc, err = nil, fmt.Errorf("malformed ticket cache: %v", r)
		}
	}()
	return credentials.LoadCCache(path)
}
