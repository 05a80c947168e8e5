package console

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Info describes a running console for `aula console list`. Each one is
// also a file <dir>/run/<id>.json while it runs, so that list and kill
// work from the command line on the data directory as well as through
// the server.
type Info struct {
	ID      string `json:"id"`
	User    string `json:"user"`
	PID     int    `json:"pid"`
	UID     int    `json:"uid"`
	Sandbox string `json:"sandbox"`
	Started string `json:"started"`
	// procStart pins the pid to this process (see procStart).
	ProcStart string `json:"proc_start"`
}

func (m *Module) runPath(id string) string { return filepath.Join(m.dir, "run", id+".json") }

func (m *Module) writeRun(c *console) {
	pid := c.cmd.Process.Pid
	start, _ := procStart(pid)
	info := Info{ID: c.id, User: c.owner, PID: pid, UID: c.uid, Sandbox: c.sandbox,
		Started: c.started.UTC().Format(time.RFC3339), ProcStart: start}
	b, _ := json.Marshal(info)
	if err := os.WriteFile(m.runPath(c.id), b, 0o600); err != nil {
		m.log.Warn("console run record not written", "id", c.id, "err", err)
	}
}

// runs lists the run records of consoles whose process still lives.
func (m *Module) runs() []Info {
	ents, _ := os.ReadDir(filepath.Join(m.dir, "run"))
	var out []Info
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		info, ok := m.readRun(id)
		if ok && alive(info) {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Started < out[j].Started || out[i].Started == out[j].Started && out[i].ID < out[j].ID
	})
	return out
}

func (m *Module) readRun(id string) (Info, bool) {
	var info Info
	b, err := os.ReadFile(m.runPath(id))
	if err != nil || json.Unmarshal(b, &info) != nil || info.ID != id || info.PID <= 0 {
		return Info{}, false
	}
	return info, true
}

// alive reports whether the record's process is still the one it names.
func alive(info Info) bool {
	s, err := procStart(info.PID)
	return err == nil && s == info.ProcStart
}

// clearStaleRuns removes records whose process is gone.
func (m *Module) clearStaleRuns() {
	ents, _ := os.ReadDir(filepath.Join(m.dir, "run"))
	for _, e := range ents {
		id, _ := strings.CutSuffix(e.Name(), ".json")
		if info, ok := m.readRun(id); !ok || !alive(info) {
			os.Remove(filepath.Join(m.dir, "run", e.Name()))
		}
	}
}

// endedList remembers why recent consoles ended, so that a request to one
// (by handle, or signed with its magic) gets {"terminate": reason} (IVLE's
// web layer then restarts it) rather than an unknown-handle error or
// silence. Bounded in count and age: every chat request with a console
// digest may try each of their magics.
type endedList struct {
	mu    sync.Mutex
	max   int
	age   time.Duration
	order []string
	why   map[string]endedEntry
}

type endedEntry struct {
	reason, owner, magic string
	at                   time.Time
}

func newEndedList(n int, age time.Duration) *endedList {
	return &endedList{max: n, age: age, why: map[string]endedEntry{}}
}

func (l *endedList) add(c *console) {
	l.mu.Lock()
	defer l.mu.Unlock()
	handle := c.handle
	l.why[handle] = endedEntry{c.reasonText(), c.owner, c.magic, time.Now()}
	l.order = append(l.order, handle)
	for len(l.order) > l.max {
		delete(l.why, l.order[0])
		l.order = l.order[1:]
	}
}

// each yields the recent ended consoles' keys.
func (l *endedList) each(yield func(handle, owner, magic string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for h, e := range l.why {
		if time.Since(e.at) <= l.age {
			yield(h, e.owner, e.magic)
		}
	}
}

func (l *endedList) get(handle string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.why[handle]
	if !ok || time.Since(e.at) > l.age {
		return "", false
	}
	return e.reason, true
}
