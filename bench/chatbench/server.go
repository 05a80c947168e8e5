package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/frontend/chatfront"
	"aula/internal/store"
	"aula/internal/wire/chat"
	_ "aula/modules/auth"
	_ "aula/modules/console"
	_ "aula/modules/echo"
)

const magic = "bench-magic"

// server is the chat front end over the echo and console modules, booted
// as `aula serve` boots them, on a temporary data directory.
type server struct {
	app     *core.App
	fe      core.FrontEnd
	db      *store.DB
	addr    string
	sandbox string
}

// withAuth adds the auth module (console methods need the client's
// identity); without it the App is echo alone, as httpbench's.
func startServer(dir string, consoles int, withAuth bool, extra ...string) (*server, error) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		return nil, err
	}
	mods := []string{"echo"}
	if withAuth {
		mods = []string{"auth", "echo", "console"}
	}
	app, err := core.NewApp(log, mods...)
	if err != nil {
		return nil, err
	}
	fes, err := core.NewFrontEnds("chat")
	if err != nil {
		return nil, err
	}
	set := config.NewSet()
	app.Configure(set)
	fes.Configure(set)
	args := []string{"--chat-listen=127.0.0.1:0", "--chat-magic", "bench=" + magic, "--chat-max-conns-per-ip=4096"}
	if withAuth {
		args = append(args, "--console-max="+strconv.Itoa(consoles), "--console-max-per-user="+strconv.Itoa(consoles))
	}
	args = append(args, extra...)
	if _, err := set.Load(config.Sources{Args: args}); err != nil {
		return nil, err
	}
	if err := app.Provision(ctx, &core.Env{App: app, Store: db, Log: log, Events: app.Events, DataDir: dir}); err != nil {
		return nil, err
	}
	if err := app.Start(ctx); err != nil {
		return nil, err
	}
	// The bench client may start consoles for anyone.
	if withAuth {
		if _, err := app.Handle(ctx, local("auth.user_groups", map[string]any{"name": "bench", "groups": []any{"admin"}})); err != nil {
			return nil, err
		}
	}
	if err := fes.Bind(ctx, &core.FrontEnv{App: app, Log: log, Fail: func(err error) { fmt.Fprintln(os.Stderr, err) }}); err != nil {
		return nil, err
	}
	if err := fes.Start(ctx); err != nil {
		return nil, err
	}
	fe, _ := fes.Get("chat")
	return &server{app: app, fe: fe, db: db, addr: fes.Addrs()["chat.tcp"]}, nil
}

func (s *server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.fe.Shutdown(ctx)
	s.app.Stop(ctx)
	s.db.Close()
}

// local is an in-process call as the CLI's local administrator.
func local(method string, named map[string]any) *core.Call {
	return &core.Call{Method: method, Named: named, Transport: "cli", Caller: core.LocalCaller()}
}

// call sends one chat request signed with key and decodes the reply.
func (s *server) call(msg any, key string) (map[string]any, error) {
	b, _ := json.Marshal(msg)
	content := string(b)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := chat.WriteNetstring(c, chat.EncodeEnvelope(content, chat.MD5Digest(content, key))); err != nil {
		return nil, err
	}
	p, err := chat.ReadNetstring(bufio.NewReader(c), 0)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(p, &out); err != nil {
		return nil, fmt.Errorf("reply %.60q: %w", p, err)
	}
	return out, nil
}

// start starts a console over chat, the way IVLE's web layer would.
func (s *server) start(user string) (handle, cmagic string, err error) {
	out, err := s.call(map[string]any{"method": "console.start", "params": map[string]any{"user": user}}, magic)
	if err != nil {
		return "", "", err
	}
	h, _ := out["handle"].(string)
	m, _ := out["magic"].(string)
	if h == "" {
		return "", "", fmt.Errorf("console.start: %v", out)
	}
	return h, m, nil
}

func (s *server) terminate(cmagic string) {
	s.call(map[string]any{"cmd": "terminate", "text": ""}, cmagic)
}

// coldStarts times n consoles one after another, each from the
// console.start request to the splash reply, and ends each; gap is a
// pause before each start.
func (s *server) coldStarts(n int, gap time.Duration) ([]time.Duration, error) {
	var out []time.Duration
	for i := range n {
		time.Sleep(gap)
		t0 := time.Now()
		_, cmagic, err := s.start(fmt.Sprintf("student%d", i%4))
		if err != nil {
			return nil, err
		}
		r, err := s.call(map[string]any{"cmd": "splash", "text": ""}, cmagic)
		if err != nil {
			return nil, err
		}
		d := time.Since(t0)
		if o, _ := r["output"].(string); !strings.HasPrefix(o, "IVLE ") {
			return nil, fmt.Errorf("splash reply %v", r)
		}
		out = append(out, d)
		s.terminate(cmagic)
	}
	s.sandbox = s.listSandbox()
	return out, nil
}

// burstStarts starts n consoles at once (more than the spare pool holds),
// each timed from its console.start request to its splash reply, then
// ends them.
func (s *server) burstStarts(n int) ([]time.Duration, error) {
	type result struct {
		d     time.Duration
		magic string
		err   error
	}
	res := make(chan result, n)
	for i := range n {
		go func() {
			t0 := time.Now()
			_, cmagic, err := s.start(fmt.Sprintf("burst%d", i))
			if err != nil {
				res <- result{err: err}
				return
			}
			r, err := s.call(map[string]any{"cmd": "splash", "text": ""}, cmagic)
			d := time.Since(t0)
			if o, _ := r["output"].(string); err == nil && !strings.HasPrefix(o, "IVLE ") {
				err = fmt.Errorf("splash reply %v", r)
			}
			res <- result{d, cmagic, err}
		}()
	}
	var out []time.Duration
	var first error
	for range n {
		r := <-res
		if r.magic != "" {
			defer s.terminate(r.magic)
		}
		if r.err != nil && first == nil {
			first = r.err
		}
		out = append(out, r.d)
	}
	return out, first
}

func (s *server) listSandbox() string {
	r, err := s.app.Handle(context.Background(), local("console.list", map[string]any{}))
	if err != nil {
		return "?"
	}
	b, _ := json.Marshal(r)
	var infos []struct{ Sandbox string }
	json.Unmarshal(b, &infos)
	if len(infos) == 0 {
		return s.sandbox
	}
	return infos[0].Sandbox
}

type memory struct {
	rssPerConsole, pssPerConsole, pythonRSS, procsPerConsole float64
}

// idleMemory starts n consoles, has each run a line and answer a splash,
// lets them sit, then sums the resident memory of every process in each
// console's tree (bubblewrap's monitors and Python).
func (s *server) idleMemory(n int) (memory, error) {
	var magics []string
	for i := range n {
		_, cmagic, err := s.start(fmt.Sprintf("idle%d", i))
		if err != nil {
			return memory{}, err
		}
		s.call(map[string]any{"cmd": "splash", "text": ""}, cmagic)
		s.call(map[string]any{"cmd": "chat", "text": "x = 1\n"}, cmagic)
		magics = append(magics, cmagic)
	}
	defer func() {
		for _, m := range magics {
			s.terminate(m)
		}
	}()
	s.sandbox = s.listSandbox()
	time.Sleep(time.Second)
	r, err := s.app.Handle(context.Background(), local("console.list", map[string]any{}))
	if err != nil {
		return memory{}, err
	}
	b, _ := json.Marshal(r)
	var infos []struct{ PID int }
	json.Unmarshal(b, &infos)
	kids := children()
	var m memory
	for _, info := range infos {
		for _, pid := range tree(info.PID, kids) {
			rss, pss, name := procMem(pid)
			m.rssPerConsole += rss
			m.pssPerConsole += pss
			m.procsPerConsole++
			if strings.HasPrefix(name, "python") {
				m.pythonRSS += rss
			}
		}
	}
	k := float64(len(infos))
	if k == 0 {
		return m, fmt.Errorf("no consoles listed")
	}
	m.rssPerConsole /= k
	m.pssPerConsole /= k
	m.pythonRSS /= k
	m.procsPerConsole /= k
	return m, nil
}

// children maps each pid to its children, from /proc.
func children() map[int][]int {
	out := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			out[ppid] = append(out[ppid], pid)
		}
	}
	return out
}

func tree(pid int, kids map[int][]int) []int {
	out := []int{pid}
	for _, k := range kids[pid] {
		out = append(out, tree(k, kids)...)
	}
	return out
}

// procMem reads VmRSS and Pss of a process, in bytes, and its name.
func procMem(pid int) (rss, pss float64, name string) {
	rss = statusField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
	pss = statusField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return rss, pss, strings.TrimSpace(string(b))
}

func statusField(path, key string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return v * 1024
		}
	}
	return 0
}

var _ = chatfront.DefaultListen // the front end registers itself on import
