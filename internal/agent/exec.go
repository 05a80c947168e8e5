package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// capped keeps the first n bytes written and counts the rest.
type capped struct {
	buf     bytes.Buffer
	n       int
	dropped int64
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.n - c.buf.Len()
	if room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	if len(p) > room {
		c.dropped += int64(len(p) - max(room, 0))
	}
	return len(p), nil
}

func (c *capped) String() string {
	s := c.buf.String()
	if c.dropped > 0 {
		s += fmt.Sprintf("\n[%d more bytes of output dropped]", c.dropped)
	}
	return s
}

// execute runs cmd with a timeout, output (stdout and stderr together)
// capped. The command runs in its own process group, so a timeout kills
// what it started too.
func (a *Agent) execute(ctx context.Context, cmd *exec.Cmd, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := &capped{n: a.cfg.OutputLimit}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return result{text: err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		why := "timed out after " + timeout.String() + "; killed"
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = "cancelled; killed"
		}
		return result{text: why, params: []labxml.Param{{Name: "out", Value: out.String()}}}
	}
	r := result{ok: err == nil, params: []labxml.Param{{Name: "out", Value: out.String()}}}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		r.text = fmt.Sprintf("exit status %d", code)
	} else if err != nil {
		r.text = err.Error()
	}
	r.params = append(r.params, labxml.Param{Name: "exit", Value: strconv.Itoa(code)})
	return r
}

// shell runs a command line with /bin/sh.
func (a *Agent) shell(ctx context.Context, line string, env []string, timeout time.Duration) result {
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Env = append(os.Environ(), env...)
	return a.execute(ctx, cmd, timeout)
}

// timeoutOf is PARAM timeout (seconds) when given, capped by the agent's own.
func (a *Agent) timeoutOf(m *labxml.Message) time.Duration {
	if v, err := strconv.ParseFloat(m.Get("timeout"), 64); err == nil && v > 0 {
		return min(time.Duration(v*float64(time.Second)), a.cfg.Timeout)
	}
	return a.cfg.Timeout
}

// script runs PARAM scp (EjecutarScript).
func (a *Agent) script(ctx context.Context, m *labxml.Message) result {
	scp := m.Get("scp")
	if scp == "" {
		return result{text: "001-Formato de ejecución incorrecto: no scp param"}
	}
	return a.shell(ctx, scp, nil, a.timeoutOf(m))
}

// adminCommand runs <commands-dir>/<nombre> with the params as NAME=VALUE
// arguments (sorted) and as AULA_PARAM_NAME variables, as OpenGnsys's
// interface scripts are run.
func (a *Agent) adminCommand(ctx context.Context, m *labxml.Message) result {
	if a.cfg.CommandsDir == "" {
		return result{text: "this agent has no --agent-commands-dir"}
	}
	if !labapi.ValidAdminName(m.Name) {
		return result{text: fmt.Sprintf("002-Fichero o dispositivo no encontrado: bad command name %q", m.Name)}
	}
	path := filepath.Join(a.cfg.CommandsDir, m.Name)
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return result{text: fmt.Sprintf("002-Fichero o dispositivo no encontrado: no executable %s", path)}
	}
	params := m.ParamMap()
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args, env []string
	for _, k := range keys {
		args = append(args, k+"="+params[k])
		env = append(env, "AULA_PARAM_"+strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(k))+"="+params[k])
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = a.cfg.CommandsDir
	return a.execute(ctx, cmd, a.timeoutOf(m))
}
