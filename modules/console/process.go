package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxReplyLine caps one reply line from a console (a user can write
// anything to its pipe; a reply of 512-byte output blocks is far smaller).
const maxReplyLine = 4 << 20

// console is one running Python console.
type console struct {
	id      string // short, not secret: `aula console list|kill`
	handle  string // the capability console.chat takes
	magic   string // the chat magic its IVLE-style requests are signed with
	owner   string
	uid     int
	sandbox string
	started time.Time
	cpuSoft time.Duration

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan []byte // lines from the child; closed at EOF
	stderr  *tailBuffer

	mu       sync.Mutex // one request at a time
	lastUsed atomic.Int64
	exited   chan struct{}
	readDone chan struct{}          // closed when readReplies returns
	reason   atomic.Pointer[string] // why it ended, set before or when it does
	killed   atomic.Bool            // end was called: lines from now on are not answers
}

func (c *console) touch() { c.lastUsed.Store(time.Now().UnixNano()) }

func (c *console) idleFor() time.Duration {
	return time.Since(time.Unix(0, c.lastUsed.Load()))
}

// launch starts the process and waits for its ready line.
func (c *console) launch(wait time.Duration) error {
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		return err
	}
	// Our own pipe rather than StdoutPipe: Wait would close that as soon
	// as bubblewrap's monitor is reaped, while the reader must see the
	// console's last line and then EOF.
	stdout, w, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return err
	}
	c.stderr = &tailBuffer{max: 4096}
	c.cmd.Stdout, c.cmd.Stderr = w, c.stderr
	c.stdin = stdin
	err = c.cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		return fmt.Errorf("starting the console: %w", err)
	}
	c.replies = make(chan []byte, 1)
	c.exited = make(chan struct{})
	c.readDone = make(chan struct{})
	go c.readReplies(stdout)
	go c.wait()
	return c.awaitReady(wait)
}

// awaitReady waits for the script's first line: {"ready": pid}, or
// {"spare": pid} from a console started ahead.
func (c *console) awaitReady(wait time.Duration) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case line, ok := <-c.replies:
		var ready struct {
			Ready *int   `json:"ready"`
			Spare *int   `json:"spare"`
			Fatal string `json:"fatal"`
		}
		if ok && json.Unmarshal(line, &ready) == nil && (ready.Ready != nil || ready.Spare != nil) {
			c.touch()
			return nil
		}
		c.end("did not start")
		if ready.Fatal != "" {
			return errors.New(ready.Fatal)
		}
		<-c.exited
		return fmt.Errorf("console did not start: %s", c.exitText())
	case <-t.C:
		c.end("did not start in time")
		return fmt.Errorf("console did not start within %s", wait)
	}
}

// assign gives a spare its user: the script drops to uid, enters home and
// says it is ready.
func (c *console) assign(user string, uid int, home string, wait time.Duration) error {
	line, err := json.Marshal(map[string]any{"assign": map[string]any{"uid": uid, "user": user, "home": home}})
	if err != nil {
		return err
	}
	if _, err := c.stdin.Write(append(line, '\n')); err != nil {
		c.end("did not start")
		return fmt.Errorf("assigning the console: %w", err)
	}
	return c.awaitReady(wait)
}

func (c *console) readReplies(stdout io.ReadCloser) {
	defer close(c.readDone)
	defer close(c.replies)
	defer stdout.Close()
	r := bufio.NewReaderSize(stdout, 64<<10)
	for {
		line, err := readLine(r, maxReplyLine)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.end("Communication lost")
			}
			return
		}
		c.noteTerminate(line)
		select {
		case c.replies <- line:
		case <-c.exited: // nobody will ask any more
			return
		}
	}
}

func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > max {
			return nil, fmt.Errorf("reply line over %d bytes", max)
		}
		if err == nil {
			return buf, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// noteTerminate records the reason a terminate reply gives (the console's
// own words: "User requested restart", a limit) as why it ends, before
// its exit is reaped and would be recorded as a bare "Console exited".
func (c *console) noteTerminate(line []byte) {
	if !bytes.HasPrefix(line, []byte(`{"terminate"`)) {
		return
	}
	var reply struct {
		Terminate *string `json:"terminate"`
	}
	if json.Unmarshal(line, &reply) == nil && reply.Terminate != nil {
		c.reason.CompareAndSwap(nil, reply.Terminate)
	}
}

// wait reaps the process and records why it ended.
func (c *console) wait() {
	err := c.cmd.Wait()
	// The console's last line, a terminate reply naming why it ends, may
	// still be in the pipe: let the reader see it first, so that reason is
	// recorded rather than "Console exited". Bounded, so a jailed process
	// holding the pipe open cannot keep the console from being reaped.
	t := time.NewTimer(time.Second)
	select {
	case <-c.readDone:
	case <-t.C:
	}
	t.Stop()
	reason := c.exitReason(err)
	c.reason.CompareAndSwap(nil, &reason)
	close(c.exited)
}

// exitReason explains an exit nobody asked for: the script's own codes
// for the memory and CPU limits, or the CPU the process used when a
// signal ended it (the hard limit's SIGKILL, SIGXCPU).
func (c *console) exitReason(err error) string {
	st := c.cmd.ProcessState
	if st == nil {
		return "Console failed: " + err.Error()
	}
	code := st.ExitCode()
	ws, _ := st.Sys().(syscall.WaitStatus)
	switch {
	case code == 3:
		return "Memory limit exceeded"
	case code == 4:
		return "CPU time limit exceeded"
	case st.UserTime()+st.SystemTime() >= c.cpuSoft:
		return "CPU time limit exceeded"
	case ws.Signaled():
		return "Console killed (signal: " + ws.Signal().String() + ")"
	case code == 128+int(syscall.SIGXCPU):
		return "CPU time limit exceeded"
	case code > 128:
		return "Console killed (signal: " + syscall.Signal(code-128).String() + ")"
	case code == 0:
		return "Console exited"
	}
	return fmt.Sprintf("Console exited with status %d", code)
}

func (c *console) exitText() string {
	s := c.reasonText()
	if t := bytes.TrimSpace(c.stderr.Bytes()); len(t) > 0 {
		s += ": " + string(t)
	}
	return s
}

func (c *console) reasonText() string {
	if r := c.reason.Load(); r != nil {
		return *r
	}
	return "Console ended"
}

// end kills the console's process group (the jail and anything user code
// started) and records why, unless a reason was recorded already.
func (c *console) end(reason string) {
	c.killed.Store(true)
	c.reason.CompareAndSwap(nil, &reason)
	if c.cmd.Process != nil {
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// errEnded says the console is gone; its reason goes in a terminate reply.
var errEnded = errors.New("console ended")

// request sends one request and returns the console's reply.
func (c *console) request(ctx context.Context, req []byte, wait time.Duration) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.exited:
		return nil, errEnded
	default:
	}
	if c.reason.Load() != nil {
		// Ending (it said terminate, or is being ended): the jail's
		// processes may outlive bubblewrap's monitor by a moment, and
		// must not answer.
		return nil, errEnded
	}
	c.touch()
	defer c.touch()
	if _, err := c.stdin.Write(req); err != nil {
		c.end("Communication lost")
		return nil, errEnded
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case line, ok := <-c.replies:
		// A line read before the console ended by itself is its answer
		// (a terminate reply is the last one); after end, it is not.
		if !ok || c.killed.Load() {
			c.end("Communication lost")
			<-c.exited
			return nil, errEnded
		}
		return line, nil
	case <-t.C:
		c.end("The console did not answer within " + wait.String())
	case <-ctx.Done():
		c.end("The caller stopped waiting for the console")
	}
	<-c.exited
	return nil, errEnded
}

// tailBuffer keeps the last max bytes written (the console's stderr, for
// start-up failures).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.b...)
}

// procStart is the process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat): with the pid, it names a process unambiguously,
// so `aula console kill` never signals a recycled pid.
func procStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: no command field", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: short", pid)
	}
	return string(f[19]), nil
}
