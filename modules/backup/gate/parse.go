package gate

import (
	"regexp"
	"strings"
)

// Request is an rsync server command line that passed the allowlist.
type Request struct {
	Sender  bool     // --sender: the server sends, i.e. a restore
	Options []string // accepted options, in the client's order, one per word
	TempDir bool     // the client asked for --temp-dir (the gate picks the dir)
	Paths   []string // the path words after ".", unescaped, unmapped
}

// maxPaths bounds the source paths of one restore.
const maxPaths = 16

// shortLetters are the single-letter server options the gate passes on.
// Left out on purpose: s (protect-args: the real arguments would arrive
// inside the protocol, past this check), R (relative paths), L and k
// (sender follows symlinks out of the tree), K (receiver follows symlinked
// directories), b (backups next to files), A and X (ACLs, xattrs), M, T, f.
const shortLetters = "vqnrltzpogDHcIuSWxymOCUJdE"

// flagOptions take no value.
var flagOptions = map[string]bool{
	"delete": true, "delete-before": true, "delete-during": true, "delete-delay": true,
	"delete-after": true, "delete-excluded": true, "partial": true, "numeric-ids": true,
	"size-only": true, "force": true, "ignore-errors": true, "existing": true,
	"ignore-existing": true, "safe-links": true, "munge-links": true, "delay-updates": true,
	"mkpath": true, "stats": true, "list-only": true, "msgs2stderr": true,
	"no-msgs2stderr": true, "fsync": true, "old-compress": true, "new-compress": true,
	"open-noatime": true, "preallocate": true, "ignore-missing-args": true,
}

var (
	digits     = regexp.MustCompile(`^[0-9]{1,12}$`)
	signed     = regexp.MustCompile(`^-?[0-9]{1,12}$`)
	rate       = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,6})?[A-Za-z]{0,3}$`)
	algoList   = regexp.MustCompile(`^[a-z0-9,-]{1,64}$`)
	logFormat  = regexp.MustCompile(`^[%A-Za-z0-9' :.,_-]{1,64}$`)
	simpleName = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`)
)

// valueOptions take a value, as "--opt=v" or "--opt v"; the check says
// which values are allowed.
var valueOptions = map[string]func(string) bool{
	"timeout":         digits.MatchString,
	"bwlimit":         rate.MatchString,
	"max-size":        rate.MatchString,
	"min-size":        rate.MatchString,
	"max-delete":      signed.MatchString,
	"modify-window":   signed.MatchString,
	"compress-level":  signed.MatchString,
	"checksum-seed":   digits.MatchString,
	"compress-choice": algoList.MatchString,
	"checksum-choice": algoList.MatchString,
	"log-format":      logFormat.MatchString,
	// Kept inside each destination directory: one plain name only.
	"partial-dir": func(v string) bool { return simpleName.MatchString(v) && v != "." && v != ".." },
	// The value is never used (the gate supplies its own directory), but
	// it must still look like a path.
	"temp-dir": func(v string) bool { return v != "" && len(v) <= 1024 && !strings.HasPrefix(v, "-") },
}

// whyRefused explains the long options a client is most likely to try.
var whyRefused = map[string]string{
	"inplace":             "would rewrite files that snapshots share",
	"append":              "would rewrite files that snapshots share",
	"append-verify":       "would rewrite files that snapshots share",
	"write-devices":       "would rewrite files that snapshots share",
	"remove-source-files": "snapshots and current are not deleted by clients",
	"rsh":                 "remote shell options are not allowed",
	"rsync-path":          "remote program options are not allowed",
	"daemon":              "daemon mode is not allowed",
	"config":              "daemon mode is not allowed",
	"protect-args":        "arguments hidden from the gate are not allowed",
	"secluded-args":       "arguments hidden from the gate are not allowed",
	"files-from":          "file lists from the client are not allowed",
	"copy-links":          "following symlinks is not allowed",
	"copy-unsafe-links":   "following symlinks is not allowed",
	"copy-dirlinks":       "following symlinks is not allowed",
	"keep-dirlinks":       "following symlinks is not allowed",
}

// ParseCommand checks an SSH_ORIGINAL_COMMAND against the rsync server
// allowlist. It touches no file system; Config.Plan maps the paths.
func ParseCommand(cmd string) (*Request, error) {
	words, err := SplitWords(cmd)
	if err != nil {
		return nil, err
	}
	if words[0] != "rsync" {
		return nil, refuse("only rsync is allowed, not %q", clip(words[0]))
	}
	if len(words) < 2 || words[1] != "--server" {
		return nil, refuse("only \"rsync --server\" is allowed")
	}
	req := &Request{}
	i := 2
	if i < len(words) && words[i] == "--sender" {
		req.Sender = true
		i++
	}
	for ; i < len(words) && words[i] != "."; i++ {
		w := words[i]
		switch {
		case w == "--":
			return nil, refuse(`"--" is not allowed`)
		case strings.HasPrefix(w, "--"):
			name, val, hasVal := strings.Cut(w[2:], "=")
			check, takesValue := valueOptions[name]
			switch {
			case flagOptions[name] && !hasVal:
				req.Options = append(req.Options, w)
			case takesValue:
				if !hasVal {
					if i+1 >= len(words) {
						return nil, refuse("option --%s needs a value", name)
					}
					i++
					val = words[i]
				}
				if !check(val) {
					return nil, refuse("bad value %q for --%s", clip(val), name)
				}
				if name == "temp-dir" {
					req.TempDir = true
				} else {
					req.Options = append(req.Options, "--"+name+"="+val)
				}
			case whyRefused[name] != "":
				return nil, refuse("option --%s: %s", name, whyRefused[name])
			default:
				return nil, refuse("option --%s is not allowed", clip(name))
			}
		case strings.HasPrefix(w, "-") && len(w) > 1:
			if err := checkBundle(w[1:]); err != nil {
				return nil, err
			}
			req.Options = append(req.Options, w)
		default:
			return nil, refuse("unexpected word %q before \".\"", clip(w))
		}
	}
	if i == len(words) {
		return nil, refuse(`no "." argument (not an rsync server command line)`)
	}
	req.Paths = words[i+1:]
	switch {
	case len(req.Paths) == 0:
		return nil, refuse("no path given")
	case !req.Sender && len(req.Paths) != 1:
		return nil, refuse("a backup takes exactly one destination, got %d", len(req.Paths))
	case len(req.Paths) > maxPaths:
		return nil, refuse("more than %d paths", maxPaths)
	}
	for _, p := range req.Paths {
		if p == "--" || strings.HasPrefix(p, "-") {
			return nil, refuse("path %q looks like an option", clip(p))
		}
	}
	return req, nil
}

// checkBundle checks a single-dash word: letters from shortLetters, then
// optionally "e" and the client's capability string (rsync's -e in server
// mode carries protocol details, not a shell), or a "B<digits>" block size.
func checkBundle(b string) error {
	for j := 0; j < len(b); j++ {
		c := b[j]
		switch {
		case c == 'e':
			for _, k := range []byte(b[j+1:]) {
				if !(k == '.' || k >= '0' && k <= '9' || k >= 'a' && k <= 'z' || k >= 'A' && k <= 'Z') {
					return refuse("bad rsync capability string %q", clip(b[j+1:]))
				}
			}
			return nil
		case c == 'B':
			if !digits.MatchString(b[j+1:]) {
				return refuse("bad block size in -%s", clip(b))
			}
			return nil
		case strings.IndexByte(shortLetters, c) < 0:
			return refuse("option -%c is not allowed", c)
		}
	}
	return nil
}

// clip shortens client bytes quoted in a reason.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
