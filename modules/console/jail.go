package console

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

//go:embed child.py
var childScript string

// boot runs the embedded script under a file name its tracebacks can leave
// out (-I: no environment, no user site, no current directory on the path).
const boot = "import sys; exec(compile(sys.argv[1], '<aula-console>', 'exec'))"

// jailSpec is what a console's process is started with.
type jailSpec struct {
	user    string
	uid     int  // -1: keep aula's uid (aula is not root)
	bwrap   bool // namespaces with bubblewrap
	homeDir string
	limits  map[string][2]uint64
	// spare: privileged bubblewrap (aula is root) with every user's
	// directory under /home; the process waits, limited, for aula to
	// assign it a user (uid and directory), so it can be started ahead.
	spare    bool
	homeRoot string // <dir>/home, for a spare
}

// childConfig is the script's argument.
type childConfig struct {
	Limits  map[string][2]uint64 `json:"limits"`
	DirFD   *int                 `json:"dirfd"`
	UID     *int                 `json:"uid"`   // the script drops to it (privileged bubblewrap)
	Spare   bool                 `json:"spare"` // wait for {"assign": {uid, user, home}} first
	Home    string               `json:"home"`
	User    string               `json:"user"`
	Version string               `json:"version"`
}

// limits are the trampoline's rlimits from the options (soft, hard). The
// script sets them before it reads a request, so no user code runs
// without them; NPROC counts every process of the uid, so it applies only
// when the console has a uid of its own.
func (o *options) limits(ownUID bool) map[string][2]uint64 {
	const mib = 1 << 20
	l := map[string][2]uint64{
		"as":    {uint64(o.memoryMB.Get()) * mib, uint64(o.memoryMB.Get()+64) * mib},
		"cpu":   {uint64(o.cpuSeconds.Get()), uint64(o.cpuSeconds.Get() + 5)},
		"fsize": {uint64(o.fileSizeMB.Get()) * mib, uint64(o.fileSizeMB.Get()+8) * mib},
		"core":  {0, 0},
	}
	if ownUID {
		n := uint64(o.processes.Get())
		l["nproc"] = [2]uint64{n, n}
	}
	return l
}

// command builds the console's process: bubblewrap around Python, or
// Python alone.
//
// With bubblewrap and aula running as root, bubblewrap runs privileged
// (no user namespace: it mounts as root, so the users' directories may sit
// under a data directory only root can search) and keeps CAP_SETUID and
// CAP_SETGID for the script, which drops to the user's uid before it
// reads a request, as IVLE's setuid trampoline did. Such a console starts
// as a spare: all users' directories (each 0700, its own uid's) are
// mounted at /home, and the script waits for aula to assign it a user;
// so aula can start one ahead of the request. Not root, bubblewrap makes a
// user namespace, the console keeps aula's uid and so sees only its own
// user's directory.
//
// Without bubblewrap, aula starts Python as the user's uid itself and
// hands over the user's directory as descriptor 3 (opened by aula), so
// that uid needs no search right on the directories above it.
func (m *Module) command(spec jailSpec) (*exec.Cmd, *os.File, error) {
	o := m.opts
	cfg := childConfig{Limits: spec.limits, User: spec.user, Version: o.versionText.Get()}
	var argv []string
	var home *os.File
	cred := spec.uid >= 0
	switch {
	case spec.spare:
		cfg.Spare, cred = true, false
		argv = append([]string{m.bwrapPath}, bwrapArgs(spec.homeRoot, "/home", "/", true)...)
	case spec.bwrap:
		jailHome := "/home/" + spec.user
		cfg.Home = jailHome
		argv = append([]string{m.bwrapPath}, bwrapArgs(spec.homeDir, jailHome, jailHome, false)...)
	default:
		f, err := os.Open(spec.homeDir)
		if err != nil {
			return nil, nil, err
		}
		fd := 3
		cfg.DirFD, cfg.Home, home = &fd, spec.homeDir, f
	}
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, nil, err
	}
	argv = append(argv, o.python.Get(), "-I", "-c", boot, childScript, string(cj))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	if home != nil {
		cmd.ExtraFiles = []*os.File{home}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cred {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(spec.uid), Gid: uint32(spec.uid), Groups: []uint32{}}
	}
	return cmd, home, nil
}

// bwrapArgs: a new root with /usr read-only, private /proc, /dev and /tmp,
// src read-write at dest, and new mount, PID, network (loopback only), IPC
// and UTS namespaces; the jail dies with aula. privileged is aula running
// as root (see command): no user namespace, and CAP_SETUID/CAP_SETGID kept
// for the script to drop to the user's uid.
func bwrapArgs(src, dest, chdir string, privileged bool) []string {
	a := []string{"--unshare-all", "--die-with-parent", "--new-session"}
	if privileged {
		a = []string{"--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
			"--die-with-parent", "--new-session", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"}
	}
	a = append(a, "--ro-bind", "/usr", "/usr")
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if t, err := os.Readlink(d); err == nil {
			a = append(a, "--symlink", t, d)
		} else if st, err := os.Stat(d); err == nil && st.IsDir() {
			a = append(a, "--ro-bind", d, d)
		}
	}
	a = append(a, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp")
	if dest != "/home" {
		a = append(a, "--dir", "/home")
	}
	return append(a, "--bind", src, dest, "--chdir", chdir)
}

// checkBwrap reports whether bubblewrap can build the jail here (as root,
// or with unprivileged user namespaces), by running `true` in one.
func checkBwrap(path string) error {
	dir, err := os.MkdirTemp("", "aula-bwrap-check")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(path, append(bwrapArgs(dir, "/home/check", "/home/check", os.Geteuid() == 0), "/usr/bin/true")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(path), err, clipOut(out))
	}
	return nil
}

func clipOut(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}
