package lab

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"aula/internal/core"
)

// Commands are thin wrappers over the methods, so each works the same on
// the local data directory and against a server (--url).
func (m *Module) Commands() []core.Command {
	return []core.Command{
		{Name: "lab add", Usage: "NAME [--centre CENTRE] [--netmask MASK]", Run: runLabAdd, Help: "add a lab (in a centre)"},
		{Name: "lab rm", Usage: "NAME", Run: runLabRemove, Help: "remove a lab that has no computers"},
		{Name: "lab list", Usage: "[--json]", Run: runLabList, Help: "list labs with their centre and number of computers"},
		{Name: "lab status", Usage: "[LAB|all] [--watch] [--interval D] [--json]", Run: runLabStatus,
			Help: "the lab's computers with their state (off, booting, idle, busy, maintenance) and last action; --watch refreshes it"},
		{Name: "computer add", Usage: "NAME --lab LAB [--mac MAC] [--ip IP] [--group GROUP]", Run: runComputerAdd, Help: "add a computer to a lab"},
		{Name: "computer rm", Usage: "NAME", Run: runComputerRemove, Help: "remove a computer (its queued actions fail; history stays)"},
		{Name: "computer mv", Usage: "NAME --lab LAB [--group GROUP]", Run: runComputerMove, Help: "move a computer to another lab or group"},
		{Name: "computer list", Usage: "[--lab LAB] [--group GROUP] [--json]", Run: runComputerList, Help: "list computers"},
		{Name: "computer show", Usage: "NAME [--json]", Run: runComputerShow, Help: "show a computer, its agent's announcement and last actions"},
		{Name: "computer import", Usage: "FILE.csv", Run: runComputerImport,
			Help: "add computers from a CSV file (name,mac,ip,lab[,group]); a bad line names its number and nothing is added"},
		{Name: "computer enrol", Usage: "NAME", Run: runComputerEnrol,
			Help: "print a one-time token for the computer's agent: `aula agent --server HOST:2009 --token TOKEN`"},
		{Name: "computer maintenance", Usage: "NAME on|off", Run: runMaintenance, Help: "set or clear maintenance: a computer in maintenance is sent nothing"},
		{Name: "run", Usage: "COMMAND --lab LAB|--group GROUP|--computer NAME [--param k=v]... [--wait] [--timeout D]", Run: runRun,
			Help: "launch a command (probe, hardware, software, script, poweroff, reboot, wake, or an admin-defined one); --wait prints the results"},
		{Name: "actions", Usage: "[--lab LAB] [--state STATE] [--computer NAME] [--launch ID] [--limit N] [--follow] [--json]", Run: runActions,
			Help: "list action rows (command, launcher, state, result, output); --follow prints new ones and changes as they happen"},
		{Name: "actions pause", Usage: "--lab LAB|--group GROUP|--computer NAME", Run: runQueuePause,
			Help: "pause queues: the computers' queued actions wait as paused (new ones too, and none expires) until resumed"},
		{Name: "actions resume", Usage: "--lab LAB|--group GROUP|--computer NAME", Run: runQueueResume,
			Help: "resume paused queues: their actions are queued again, with a fresh --lab-action-ttl, and delivered"},
		{Name: "actions rm", Usage: "ID...", Run: runActionDelete,
			Help: "delete queued or paused actions (each keeps its row, state deleted, saying who deleted it and when)"},
		{Name: "actions retry", Usage: "ID... [--wait] [--timeout D]", Run: runActionRetry,
			Help: "retry failed or expired actions: a new queued row each, linked to the old one (retry_of)"},
		{Name: "computer wake", Usage: "[NAME] [--lab LAB] [--group GROUP] [--unicast]", Run: runComputerWake,
			Help: "Wake-on-LAN (Arrancar): send the magic packet to the lab's broadcast (or --lab-wol-addr); woken computers are booting until their agents connect"},
		{Name: "inventory show", Usage: "COMPUTER [--kind hardware|software]", Run: runInventoryShow, Help: "print a computer's newest inventories"},
		{Name: "inventory diff", Usage: "COMPUTER [--kind hardware|software] [--since DATE]", Run: runInventoryDiff,
			Help: "what changed: the newest inventory against the previous one (or the newest before DATE)"},
	}
}

func usageOf(name string) string { return core.UsageOf((&Module{}).Commands(), name) }

func parseFlags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	return core.ParseFlags(name, usageOf(name), args, define)
}

// oneArg parses flags and wants exactly one positional argument.
func oneArg(name string, args []string, define func(*flag.FlagSet)) (string, error) {
	pos, err := parseFlags(name, args, define)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("want one argument, got %d (usage: aula %s %s)", len(pos), name, usageOf(name))
	}
	return pos[0], nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func resultName(r int) string {
	switch r {
	case resultOK:
		return "ok"
	case resultFailed:
		return "failed"
	}
	return "-"
}
