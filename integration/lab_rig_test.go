package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// labRig is a server with the lab agent listener on 127.0.0.1, a CA, a lab
// "aula1" with computers, and real `aula agent` processes.
type labRig struct {
	t       *testing.T
	srv     *server
	dataDir string
	port    int
	agents  map[string]*agentProc
}

type agentProc struct {
	name string
	dir  string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

func newLabRig(t *testing.T, computers ...string) *labRig {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	r := &labRig{t: t, dataDir: dataDir, port: freePort(t), agents: map[string]*agentProc{}}
	r.aula("ca", "init")
	r.aula("lab", "add", "aula1", "--centre", "campus")
	for _, c := range computers {
		r.aula("computer", "add", c, "--lab", "aula1")
	}
	r.srv = startServer(t, dataDir, r.serverArgs()...)
	return r
}

func (r *labRig) serverArgs() []string {
	return []string{fmt.Sprintf("--lab-listen=127.0.0.1:%d", r.port), "--lab-poll-interval=50ms", "--lab-max-message=65536"}
}

// aula runs an admin command on the rig's data directory, failing the test
// on a non-zero exit.
func (r *labRig) aula(args ...string) string {
	r.t.Helper()
	out, code := aula(r.t, append(args, "--data-dir", r.dataDir)...)
	if code != 0 {
		r.t.Fatalf("aula %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// token makes a one-time enrolment token for a computer.
func (r *labRig) token(name string) string {
	r.t.Helper()
	cmd := exec.Command(aulaBin, "computer", "enrol", name, "--data-dir", r.dataDir)
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("computer enrol %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// startAgent runs `aula agent` for a computer, enrolling it the first time.
func (r *labRig) startAgent(name string, extra ...string) *agentProc {
	r.t.Helper()
	a := r.agents[name]
	if a == nil {
		a = &agentProc{name: name, dir: filepath.Join(r.t.TempDir(), "agent-"+name)}
		r.agents[name] = a
		r.t.Cleanup(a.stop)
	}
	args := []string{"agent", "--server", fmt.Sprintf("127.0.0.1:%d", r.port), "--dir", a.dir, "--max-backoff", "1s",
		"--poweroff-command", "touch " + filepath.Join(a.dir, "poweroff-ran"), "--reboot-command", "true"}
	if _, err := os.Stat(filepath.Join(a.dir, "agent.crt")); err != nil {
		args = append(args, "--token", r.token(name))
	}
	a.cmd = exec.Command(aulaBin, append(args, extra...)...)
	a.cmd.Env = cleanEnv()
	a.log = &syncBuffer{}
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	a.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(a.cmd, a.done)
	return a
}

// stop ends an agent (SIGTERM, then SIGKILL).
func (a *agentProc) stop() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	select {
	case <-a.done:
		return
	default:
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
	}
}

func (a *agentProc) kill() {
	a.cmd.Process.Kill()
	<-a.done
}

type statusRow struct {
	Computer, State, LastAction, LastState string
	LastResult                             int `json:"last_result"`
}

func (r *labRig) status() map[string]statusRow {
	r.t.Helper()
	var rows []struct {
		Computer   string `json:"computer"`
		State      string `json:"state"`
		LastAction string `json:"last_action"`
		LastState  string `json:"last_state"`
		LastResult int    `json:"last_result"`
	}
	if err := json.Unmarshal([]byte(r.aula("lab", "status", "aula1", "--json")), &rows); err != nil {
		r.t.Fatal(err)
	}
	out := map[string]statusRow{}
	for _, x := range rows {
		out[x.Computer] = statusRow{x.Computer, x.State, x.LastAction, x.LastState, x.LastResult}
	}
	return out
}

func (r *labRig) waitState(name, state string) {
	r.t.Helper()
	waitFor(r.t, name+" "+state, func() bool { return r.status()[name].State == state })
}

type actionRow struct {
	ID       int64  `json:"id"`
	Launch   string `json:"launch"`
	Computer string `json:"computer"`
	Command  string `json:"command"`
	Launcher string `json:"launcher"`
	State    string `json:"state"`
	Result   int    `json:"result"`
	Output   string `json:"output"`
}

func (r *labRig) actions(args ...string) []actionRow {
	r.t.Helper()
	var out []actionRow
	if err := json.Unmarshal([]byte(r.aula(append([]string{"actions", "--json"}, args...)...)), &out); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// run launches a command and returns its launch id.
func (r *labRig) run(args ...string) string {
	r.t.Helper()
	out := r.aula(append([]string{"run"}, args...)...)
	f := strings.Fields(out)
	if len(f) < 2 || f[0] != "launch" {
		r.t.Fatalf("run %v: %s", args, out)
	}
	return strings.TrimSuffix(f[1], ":")
}

// waitAction waits until every action of a launch has left queued/sent.
func (r *labRig) waitLaunch(launch string) []actionRow {
	r.t.Helper()
	var acts []actionRow
	waitFor(r.t, "launch "+launch, func() bool {
		acts = r.actions("--launch", launch)
		for _, a := range acts {
			if a.State == "queued" || a.State == "sent" {
				return false
			}
		}
		return len(acts) > 0
	})
	return acts
}
