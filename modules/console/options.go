package console

import (
	"fmt"
	"runtime"
	"time"

	"aula/internal/config"
)

type options struct {
	python      *config.Opt[string]
	sandbox     *config.Opt[string]
	dir         *config.Opt[string]
	max         *config.Opt[int]
	maxPerUser  *config.Opt[int]
	idle        *config.Opt[time.Duration]
	replyWait   *config.Opt[time.Duration]
	cpuSeconds  *config.Opt[int]
	memoryMB    *config.Opt[int]
	fileSizeMB  *config.Opt[int]
	processes   *config.Opt[int]
	baseUID     *config.Opt[int]
	startWait   *config.Opt[time.Duration]
	versionText *config.Opt[string]
	spares      *config.Opt[int]
}

// Configure declares the [console] options.
func (m *Module) Configure(sec *config.Section) { m.opts = declare(sec) }

func declare(sec *config.Section) *options {
	return &options{
		python: sec.String("python", "/usr/bin/python3",
			"the Python 3 interpreter consoles run (it must live under /usr, which the jail mounts read-only)"),
		sandbox: sec.String("sandbox", "auto",
			`"bwrap": mount, PID, network (and user) namespaces with bubblewrap; "none": rlimits and a per-user uid only; "auto": bwrap when it works here, else none with a warning`).Choices("auto", "bwrap", "none"),
		dir: sec.String("dir", "",
			"directory of the consoles' home directories and bookkeeping (default <data-dir>/console)"),
		max: sec.Int("max", 0,
			"consoles running at once (0: two per CPU core)").Validate(nonNegative),
		maxPerUser: sec.Int("max-per-user", 2,
			"consoles one user may run at once").Validate(config.PositiveInt),
		idle: sec.Duration("idle-timeout", 15*time.Minute,
			"a console nobody talked to for this long is ended"),
		replyWait: sec.Duration("reply-timeout", 60*time.Second,
			"time a console has to answer one request (user code running longer is ended)"),
		cpuSeconds: sec.Int("cpu-seconds", 25,
			"CPU seconds a console may use (soft limit; the hard limit is 5 s more): then it is ended and reported").Validate(config.PositiveInt),
		memoryMB: sec.Int("memory-mb", 448,
			"address space of a console in MiB (soft; hard is 64 MiB more)").Validate(config.PositiveInt),
		fileSizeMB: sec.Int("file-size-mb", 64,
			"largest file a console may write, MiB (soft; hard is 8 MiB more)").Validate(config.PositiveInt),
		processes: sec.Int("processes", 50,
			"processes (and threads) a console's uid may run; applied only with a per-user uid (aula running as root)").Validate(config.PositiveInt),
		baseUID: sec.Int("base-uid", 200000,
			"first uid given to console users when aula runs as root (each user gets its own, from here up)").Validate(config.PositiveInt),
		startWait: sec.Duration("start-timeout", 10*time.Second,
			"time a new console has to come up"),
		spares: sec.Int("spares", 2,
			"consoles started ahead (from server start, refilled after each start), waiting for a user, when aula runs as root with bubblewrap: a start then only assigns one; they count against --console-max and each holds an idle console's memory (0: every start is cold)").Validate(nonNegative),
		versionText: sec.String("version", "aula",
			`version shown in the splash ("IVLE <version> Python Console")`),
	}
}

func (o *options) maxConsoles() int {
	if n := o.max.Get(); n > 0 {
		return n
	}
	return 2 * runtime.NumCPU()
}

func nonNegative(n int) error {
	if n < 0 {
		return fmt.Errorf("want 0 or more")
	}
	return nil
}

func defaultOptions() *options {
	set := config.NewSet()
	return declare(set.Section("console"))
}
