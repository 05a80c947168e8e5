package gate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"aula/modules/backup/snapshot"
)

// RunOptions are the standard streams of rsync (normally the SSH session's)
// and what to do after a successful transfer.
type RunOptions struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// AfterSuccess runs when rsync exited 0, with the client's lock still
	// held (e.g. snapshot.Take after a ds-backup completion marker).
	AfterSuccess func(*Plan) error
}

// outputDelay bounds how long Run waits, once rsync has exited, for its
// output to reach streams that are not files (aula's own SSH endpoint):
// a client that stops reading must not hold the lock and the slot.
const outputDelay = 10 * time.Second

// Run takes the client's lock, creates the directories the plan needs,
// checks the paths again under the lock and runs rsync as a child (no
// shell), passing its streams through; its messages (stderr) and Run's
// errors name paths relative to the client's directory, never the
// server's (see relative.go). It returns rsync's exit status.
func Run(p *Plan, o RunOptions) (int, error) {
	lock, err := p.prepare()
	if err != nil {
		return -1, p.clientError(err)
	}
	defer lock.Close()
	var stderr *relativeWriter
	if o.Stderr != nil {
		stderr = &relativeWriter{w: o.Stderr, p: p}
	}
	cmd := &exec.Cmd{Path: p.Argv[0], Args: p.Argv, Dir: p.Dir, Env: p.Env,
		Stdin: o.Stdin, Stdout: o.Stdout, WaitDelay: outputDelay}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	err = cmd.Run()
	// ErrWaitDelay: rsync exited 0 but the client stopped reading what was
	// left; a copy may still be blocked writing to stderr, so no flush.
	stuck := errors.Is(err, exec.ErrWaitDelay)
	if stderr != nil && !stuck {
		stderr.Flush()
	}
	if stuck {
		err = nil
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	case err != nil:
		return -1, p.clientError(fmt.Errorf("run rsync: %w", err))
	}
	if o.AfterSuccess != nil {
		if err := o.AfterSuccess(p); err != nil {
			return 0, p.clientError(err)
		}
	}
	return 0, nil
}

// Exec is Run without a way back: it replaces the process with rsync
// (syscall.Exec, no shell). The lock stays held by rsync through an
// inherited descriptor until it exits. It returns only on failure. Unlike
// Run it cannot rewrite rsync's messages: they name the server's paths.
func Exec(p *Plan) error {
	lock, err := p.prepare()
	if err != nil {
		return err
	}
	// dup gives a descriptor without close-on-exec; it shares the lock.
	fd, err := syscall.Dup(int(lock.Fd()))
	if err != nil {
		lock.Close()
		return fmt.Errorf("keep lock across exec: %w", err)
	}
	if err := os.Chdir(p.Dir); err != nil {
		syscall.Close(fd)
		lock.Close()
		return err
	}
	err = syscall.Exec(p.Argv[0], p.Argv, p.Env)
	syscall.Close(fd)
	lock.Close()
	return fmt.Errorf("exec %s: %w", p.Argv[0], err)
}

// prepare makes the client directory and the plan's directories, takes the
// lock and verifies the targets again (the lock keeps them stable).
func (p *Plan) prepare() (*os.File, error) {
	if len(p.Argv) == 0 {
		return nil, errors.New("empty plan")
	}
	if p.Mode == Backup {
		if err := os.Mkdir(p.ClientDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create client directory: %w", err)
		}
	}
	if err := p.verify(); err != nil {
		return nil, err
	}
	lock, err := snapshot.Lock(p.ClientDir)
	if errors.Is(err, snapshot.ErrBusy) {
		return nil, refuse("another transfer for this client is running")
	}
	if err != nil {
		return nil, err
	}
	for _, d := range p.needDirs {
		full := filepath.Join(p.ClientDir, d)
		if err := os.Mkdir(full, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			lock.Close()
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
		if st, err := os.Lstat(full); err != nil || !st.IsDir() || st.Mode()&os.ModeSymlink != 0 {
			lock.Close()
			return nil, refuse("%q is not a plain directory", d)
		}
	}
	if err := p.verify(); err != nil {
		lock.Close()
		return nil, err
	}
	return lock, nil
}
