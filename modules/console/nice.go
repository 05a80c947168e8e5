package console

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// spareNice is the niceness spares start with. Refilling the pool is
// background work (bubblewrap and Python starting, tens of ms of CPU):
// niced, it yields to the consoles being served, whose first replies the
// start-time goal measures, and to the server. A spare gets its user's
// priority back (0) when it is assigned.
const spareNice = 10

// niceCommand makes cmd start niced, through nice(1) (coreutils): Go's
// os/exec cannot set a child's priority, and setting it after the start
// would race bubblewrap's own forks, which inherit it. Without nice the
// command is left as it is.
func niceCommand(cmd *exec.Cmd) {
	path, err := exec.LookPath("nice")
	if err != nil {
		return
	}
	cmd.Args = append([]string{path, "-n", strconv.Itoa(spareNice)}, cmd.Args...)
	cmd.Path = path
}

// unnice gives every process of the console's tree (bubblewrap's and
// Python) priority 0 again. Only root may raise a priority, and spares
// exist only when aula runs as root.
func (c *console) unnice() {
	if c.cmd.Process == nil {
		return
	}
	for _, pid := range descendants(c.cmd.Process.Pid) {
		syscall.Setpriority(syscall.PRIO_PROCESS, pid, 0)
	}
}

// descendants lists pid and every process below it, from
// /proc/PID/task/TID/children.
func descendants(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out) && i < 64; i++ {
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", out[i]))
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", out[i], t.Name()))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					out = append(out, n)
				}
			}
		}
	}
	return out
}
