package gate

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"aula/modules/backup/snapshot"
	"aula/modules/id/idapi"
)

// Mode is the direction of a transfer, seen from the client.
type Mode int

const (
	Backup  Mode = iota + 1 // client sends, server receives into current
	Restore                 // server sends from current or a snapshot
)

func (m Mode) String() string {
	switch m {
	case Backup:
		return "backup"
	case Restore:
		return "restore"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Names inside a client directory that the gate adds to snapshot's layout.
const (
	TempDir       = ".tmp"       // rsync --temp-dir, when the client asks for one
	CompletionDir = "completion" // ds-backup completion markers
	// CompletionPrefix is where ds-backup uploads its marker (spec §5).
	CompletionPrefix = "/var/lib/ds-backup/completion/"
	// RootAlias, as a first path component, names the client's own
	// directory, as its uid does (the path of a SERIAL@HOST:backup url).
	RootAlias = "backup"
	// DefaultRsync is the rsync the gate runs unless Config.Rsync says.
	DefaultRsync = "/usr/bin/rsync"
)

const (
	maxPathBytes      = 1024
	maxComponentBytes = 255
)

var (
	markerPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// Config locates the clients' directories.
type Config struct {
	Root string // backup root; <Root>/<uid> is one client's directory
	// Rsync is the absolute path of the rsync to run (DefaultRsync if "").
	Rsync string
	// VirtualRoot is the absolute path that a client's absolute paths must
	// lie under; it then means the same as a relative path. "" is "/".
	VirtualRoot string
	// AllowRoot lets the gate run as uid 0. Off by default: a root rsync
	// receiver would honour the client's owners, setuid bits and devices.
	AllowRoot bool
}

// Plan is a checked transfer: everything needed to exec rsync.
type Plan struct {
	Mode       Mode
	UID        string
	ClientDir  string   // <Root>/<uid>
	Dir        string   // working directory for rsync (the client directory)
	Argv       []string // exact argv for rsync; Argv[0] is its absolute path
	Env        []string // rsync's whole environment
	Targets    []string // the mapped paths, in the client's order
	Completion bool     // the ds-backup completion marker upload
	Request    *Request
	needDirs   []string // directories Run creates before rsync starts
}

// Plan checks an SSH_ORIGINAL_COMMAND sent by client uid and maps it onto
// that client's directory. Errors are *RefusedError (one line, for the
// client) unless the server's own file system failed.
func (c Config) Plan(uid, originalCommand string) (*Plan, error) {
	if !idapi.ValidUID(uid) {
		return nil, refuse("bad client id %q (want 40 lowercase hex digits)", clip(uid))
	}
	if !filepath.IsAbs(c.Root) {
		return nil, fmt.Errorf("backup root %q is not absolute", c.Root)
	}
	if os.Geteuid() == 0 && !c.AllowRoot {
		return nil, errors.New("backup gate must not run as root")
	}
	req, err := ParseCommand(originalCommand)
	if err != nil {
		return nil, err
	}
	rsync := c.Rsync
	if rsync == "" {
		rsync = DefaultRsync
	}
	if !filepath.IsAbs(rsync) {
		return nil, fmt.Errorf("rsync path %q is not absolute", rsync)
	}
	client := filepath.Join(filepath.Clean(c.Root), uid)
	p := &Plan{Mode: Backup, UID: uid, ClientDir: client, Dir: client, Request: req,
		Env: []string{"PATH=/usr/bin:/bin", "HOME=" + client}}
	if req.Sender {
		p.Mode = Restore
	}
	for _, raw := range req.Paths {
		target, err := c.mapPath(p, raw)
		if err != nil {
			return nil, err
		}
		p.Targets = append(p.Targets, target)
	}
	if err := p.verify(); err != nil {
		return nil, err
	}
	p.Argv = append([]string{rsync, "--server"}, p.serverArgs()...)
	return p, nil
}

func (p *Plan) serverArgs() []string {
	var a []string
	if p.Request.Sender {
		a = append(a, "--sender")
	}
	for _, o := range p.Request.Options {
		if o != "--msgs2stderr" && o != "--no-msgs2stderr" {
			a = append(a, o)
		}
	}
	a = append(a, forcedMessages) // see relative.go
	if p.Request.TempDir {
		a = append(a, "--temp-dir="+filepath.Join(p.ClientDir, TempDir))
		p.needDirs = append(p.needDirs, TempDir)
	}
	a = append(a, ".")
	return append(a, p.Targets...)
}

// mapPath turns one client path into an absolute path in the client dir.
func (c Config) mapPath(p *Plan, raw string) (string, error) {
	if len(raw) > maxPathBytes {
		return "", refuse("path longer than %d bytes", maxPathBytes)
	}
	if p.Mode == Backup && strings.HasPrefix(raw, CompletionPrefix) {
		name := raw[len(CompletionPrefix):]
		if !markerPattern.MatchString(name) {
			return "", refuse("bad completion marker name %q", clip(name))
		}
		p.Completion = true
		p.needDirs = append(p.needDirs, CompletionDir)
		return filepath.Join(p.ClientDir, CompletionDir, name), nil
	}
	for _, part := range strings.Split(raw, "/") {
		if part == ".." {
			return "", refuse("path %q contains \"..\"", clip(raw))
		}
	}
	// rsync gives "dir/" and "dir/." a meaning ("the contents of"): keep it.
	trailing := raw == "." || strings.HasSuffix(raw, "/") || strings.HasSuffix(raw, "/.")
	rel := raw
	if strings.HasPrefix(raw, "/") {
		clean, vroot := path.Clean(raw), path.Clean("/"+c.VirtualRoot)
		switch {
		case vroot == "/":
			rel = clean[1:]
		case clean == vroot:
			rel = ""
		case strings.HasPrefix(clean, vroot+"/"):
			rel = clean[len(vroot)+1:]
		default:
			return "", refuse("absolute path %q is outside %s", clip(raw), vroot)
		}
	}
	var parts []string
	for _, part := range strings.Split(rel, "/") {
		switch {
		case part == "" || part == ".":
		case len(part) > maxComponentBytes:
			return "", refuse("path component longer than %d bytes", maxComponentBytes)
		default:
			parts = append(parts, part)
		}
	}
	// The id module hands out backupurl = user@host:<uid> (or, to the
	// Sugar shell, SERIAL@HOST:backup), and sugar-client uses it as-is: a
	// first component equal to the client's own uid, or "backup", names the
	// client's root, so "<uid>/x" is "x" and "<uid>/@latest" a snapshot.
	if len(parts) > 0 && (parts[0] == p.UID || parts[0] == RootAlias) {
		parts = parts[1:]
	}
	base := snapshot.CurrentDir
	if len(parts) > 0 && strings.HasPrefix(parts[0], "@") {
		if p.Mode == Backup {
			return "", refuse("names starting with \"@\" are snapshots, read only (%q)", clip(parts[0]))
		}
		name, err := snapshotName(p.ClientDir, parts[0][1:])
		if err != nil {
			return "", err
		}
		base = filepath.Join(snapshot.SnapshotsDir, name)
		parts = parts[1:]
	} else if p.Mode == Backup {
		p.needDirs = append(p.needDirs, snapshot.CurrentDir)
	}
	target := filepath.Join(append([]string{p.ClientDir, base}, parts...)...)
	if trailing || len(parts) == 0 {
		target += "/"
	}
	return target, nil
}

// snapshotName resolves "latest" or checks a snapshot name.
func snapshotName(client, name string) (string, error) {
	if name == "latest" {
		latest, err := snapshot.Latest(client)
		if err != nil {
			return "", err
		}
		if latest == "" {
			return "", refuse("no snapshot yet")
		}
		return latest, nil
	}
	if !snapshot.ValidName(name) {
		return "", refuse("bad snapshot name %q", clip(name))
	}
	return name, nil
}
