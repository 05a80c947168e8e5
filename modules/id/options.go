package id

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"aula/internal/config"
)

// backupURLForm names how backupurl is built. It is part of the stamp, so
// changing the form makes every client register again. v2: the Sugar
// shell's registrations with a serial get SERIAL@HOST:backup.
const backupURLForm = "serial@host:backup/v2"

// SerialBackupPath is the path part of a SERIAL@HOST:backup backupurl
// (what OLPC's idmgr gave); the backup gate takes it, like the uid, as the
// client's own directory.
const SerialBackupPath = "backup"

// Backup account names: the default, and the one aula used before (a "-"
// that OLPC ds-backup's host pattern (\w+@)? cannot skip).
const (
	DefaultBackupUser = "aulabackup"
	OldBackupUser     = "aula-backup"
)

// Config keys aula itself puts in the `config` dict; [id-config] may not
// set them (their options do).
var reservedConfigKeys = map[string]string{
	"api-url":      "--id-api-url",
	"jabber-url":   "--id-jabber-server",
	"backup-url":   "--id-backup-user and --id-backup-host",
	"schoolserver": "--id-server-name",
	"uid":          "nothing: it is each client's own id",
}

var (
	hostRE       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
	userRE       = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	configKeyRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	maxConfigVal = 1024
)

// options are the module's declared options (nil until Configure).
type options struct {
	serverName, jabberServer *config.Opt[string]
	backupUser, backupHost   *config.Opt[string]
	apiURL                   *config.Opt[string]
	extra                    *config.Opt[map[string]string]
}

// Configure declares the [id] options (also written [client]).
func (m *Module) Configure(sec *config.Section) {
	sec.Alias("client")
	o := &options{
		serverName: sec.String("server-name", "",
			"the school server's host name as clients reach it (empty: this host's fully qualified name, best effort)").Validate(checkHost),
		jabberServer: sec.String("jabber-server", "",
			"XMPP server clients are told to use, the register reply's jabberserver, a host name without a port (the Sugar shell re-registers at http://<it>:8080/; empty: the server name)").Validate(checkJabber),
		backupUser: sec.String("backup-user", "",
			"SSH account clients without a serial rsync their Journal backups to, the user part of their backupurl (empty: aulabackup, or aula-backup when only that system account exists, as on installs from before the rename)").Validate(checkUser),
		backupHost: sec.String("backup-host", "",
			"host clients rsync their backups to, the host part of backupurl (empty: the server name)").Validate(checkHost),
		apiURL: sec.String("api-url", "",
			"sugar-client's api-url in the config dict (empty: http://<server-name>:8000)").Validate(checkURL),
		extra: sec.Map("config",
			"free-form [id-config] section: extra sugar-client options (key = value) merged into the register reply's config dict").Validate(checkExtra),
	}
	m.opts = o
}

func checkHost(s string) error {
	if s == "" || hostRE.MatchString(s) && !strings.Contains(s, "..") {
		return nil
	}
	return fmt.Errorf("want a host name such as xs.school.lan")
}

// checkJabber refuses a jabber server with a port (or a URL): the Sugar
// shell stores jabberserver and re-registers at http://<jabberserver>:8080/,
// and Sugar's XMPP client always uses port 5223, so a port there breaks
// both for every laptop.
func checkJabber(s string) error {
	if strings.Contains(s, ":") || strings.Contains(s, "/") {
		return fmt.Errorf("want a host name without a port or scheme: the Sugar shell re-registers at http://<jabber-server>:8080/ and its XMPP client always uses port 5223")
	}
	return checkHost(s)
}

func checkUser(s string) error {
	if s == "" || userRE.MatchString(s) {
		return nil
	}
	return fmt.Errorf("want a user name (lowercase letters, digits, _ and -, at most 32)")
}

func checkURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an http:// or https:// URL")
	}
	return checkConfigValue(s)
}

func checkExtra(m map[string]string) error {
	for k, v := range m {
		if opt, ok := reservedConfigKeys[k]; ok {
			return fmt.Errorf("key %q is set by aula itself (use %s)", k, opt)
		}
		if !configKeyRE.MatchString(k) {
			return fmt.Errorf("key %q: want a sugar-client option name (lowercase letters, digits, - and _)", k)
		}
		if err := checkConfigValue(v); err != nil {
			return fmt.Errorf("key %q: %v", k, err)
		}
	}
	return nil
}

// checkConfigValue keeps out what an XML-RPC string cannot carry.
func checkConfigValue(v string) error {
	switch {
	case len(v) > maxConfigVal:
		return fmt.Errorf("value longer than %d bytes", maxConfigVal)
	case !utf8.ValidString(v):
		return fmt.Errorf("value is not valid UTF-8")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fmt.Errorf("value contains a control character")
	}
	return nil
}

// settings are the effective registration settings: what every client is
// told at registration.
type settings struct {
	serverName string
	jabber     string
	backupUser string
	backupHost string
	apiURL     string
	extra      map[string]string
	hash       string // of everything above; the settings part of the stamp
}

// resolve fills in defaults from the server name.
func (o *options) resolve(ctx context.Context) settings {
	var s settings
	if o != nil {
		s = settings{serverName: o.serverName.Get(), jabber: o.jabberServer.Get(),
			backupUser: o.backupUser.Get(), backupHost: o.backupHost.Get(),
			apiURL: o.apiURL.Get(), extra: o.extra.Get()}
	}
	if s.serverName == "" {
		s.serverName = hostFQDN(ctx)
	}
	if s.jabber == "" {
		s.jabber = s.serverName
	}
	if s.backupUser == "" {
		s.backupUser = defaultBackupUser(user.Lookup)
	}
	if s.backupHost == "" {
		s.backupHost = s.serverName
	}
	if s.apiURL == "" {
		s.apiURL = "http://" + s.serverName + ":8000"
	}
	if s.extra == nil {
		s.extra = map[string]string{}
	}
	s.hash = s.digest()
	return s
}

// digest hashes every setting a client receives, in a fixed order, with
// lengths so that no two different settings encode alike.
func (s *settings) digest() string {
	h := sha256.New()
	put := func(v string) { fmt.Fprintf(h, "%d:%s;", len(v), v) }
	for _, v := range []string{backupURLForm, s.serverName, s.jabber, s.backupUser, s.backupHost, s.apiURL} {
		put(v)
	}
	keys := make([]string, 0, len(s.extra))
	for k := range s.extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		put(k)
		put(s.extra[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// backupPath is the client's directory under the backup root, relative.
func backupPath(uid string) string { return uid }

// defaultBackupUser is aulabackup, unless that system account does not
// exist and the old aula-backup does: an install from before the rename
// keeps its account (and its sshd Match block) working.
func defaultBackupUser(lookup func(string) (*user.User, error)) string {
	if _, err := lookup(DefaultBackupUser); err != nil {
		if _, err := lookup(OldBackupUser); err == nil {
			return OldBackupUser
		}
	}
	return DefaultBackupUser
}

// backupURL is the rsync target a client is told: SERIAL@HOST:backup for
// a laptop with a serial (the serial is its SSH login at aula's backup
// endpoint, and OLPC ds-backup's host pattern skips it), else
// user@host:<uid> (the backup account; the key picks the client).
func (s *settings) backupURL(uid, serial string) string {
	if serialLogin(serial) {
		return serial + "@" + s.backupHost + ":" + SerialBackupPath
	}
	return s.backupUser + "@" + s.backupHost + ":" + backupPath(uid)
}

// serialLogin reports whether a client's serial can be its backup login:
// any registered serial but the Sugar shell's placeholder, which many
// machines share.
func serialLogin(serial string) bool { return serial != "" && serial != PlaceholderSerial }

// successReply is the reply to a registration of uid with a key, under
// stamp; serial is "" for the account form of backupurl.
func (s *settings) successReply(uid, serial, stamp string) RegisterReply {
	jabber, url, path := s.jabber, s.backupURL(uid, serial), backupPath(uid)
	return RegisterReply{Success: "OK", JabberServer: &jabber, BackupURL: &url, BackupPath: &path,
		Stamp: stamp, Config: s.configDict(uid, url)}
}

// configDict is the `config` struct of a register reply: sugar-client
// options. Admin extras come first so aula's own keys always win (they
// are also refused at load).
func (s *settings) configDict(uid, backupURL string) map[string]string {
	d := make(map[string]string, len(s.extra)+5)
	for k, v := range s.extra {
		d[k] = v
	}
	d["api-url"] = s.apiURL
	d["jabber-url"] = s.jabber
	d["backup-url"] = backupURL
	d["schoolserver"] = s.serverName
	d["uid"] = uid
	return d
}

// hostFQDN is this host's fully qualified name, best effort: the host
// name if it has a dot, else what the resolver says is its canonical name
// (within a second), else the bare host name, else "schoolserver" (the
// name the Sugar shell looks for).
func hostFQDN(ctx context.Context) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "schoolserver"
	}
	if strings.Contains(host, ".") {
		return host
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, host); err == nil {
		cname = strings.TrimSuffix(cname, ".")
		if strings.Contains(cname, ".") && hostRE.MatchString(cname) {
			return cname
		}
	}
	return host
}
