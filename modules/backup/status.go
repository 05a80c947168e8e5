package backup

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"aula/internal/core"
	"aula/modules/backup/sysload"
)

// Status is the backup service at a glance.
type Status struct {
	Root           string        `json:"root"`
	MaxConcurrent  int           `json:"max_concurrent"`
	Slots          []Slot        `json:"slots"`   // running and granted transfers
	Clients        []ClientStats `json:"clients"` // last backup and usage, most recent first
	TotalBytes     int64         `json:"total_bytes"`
	TotalDiskBytes int64         `json:"total_disk_bytes"`
	DiskUsed       float64       `json:"disk_used"`   // fraction of the backup file system's blocks
	InodesUsed     float64       `json:"inodes_used"` // and of its inodes
	DiskAvail      int64         `json:"disk_avail"`  // bytes
	Load1          float64       `json:"load1"`
	Recent         []Event       `json:"recent"` // newest audit events
	Keys           KeyStatus     `json:"authorized_keys"`
}

// recentEvents is how many audit events status shows.
const recentEvents = 20

func (m *Module) statusMethod() core.Method {
	meth := core.Func("status", "Shows running and granted backups (slots), each client's last backup and usage, total usage and the latest audit events.", m.status)
	meth.Access = core.Admin
	return meth
}

func (m *Module) status(ctx context.Context, _ struct{}) (Status, error) {
	set, recs, err := m.state()
	if err != nil {
		return Status{}, err
	}
	out := Status{Root: set.Root, MaxConcurrent: set.MaxConcurrent, Slots: []Slot{}, Clients: []ClientStats{}, Recent: []Event{}}
	fail := func(err error) (Status, error) {
		return Status{}, core.StoreError(err, "reading the backup records")
	}
	if out.Slots, err = recs.listSlots(ctx); err != nil {
		return fail(err)
	}
	if out.Clients, err = recs.listStats(ctx); err != nil {
		return fail(err)
	}
	m.mu.RLock()
	reg := m.reg
	m.mu.RUnlock()
	for i := range out.Clients {
		c := &out.Clients[i]
		out.TotalBytes += c.Bytes
		out.TotalDiskBytes += c.DiskBytes
		if rc, ok, err := reg.ClientByUID(ctx, c.UID); err == nil && ok {
			c.Serial, c.Nickname = rc.Serial, rc.Nickname
		} else if err == nil {
			c.NotRegistered = true
		}
	}
	if out.Recent, err = recs.listEvents(ctx, "", recentEvents); err != nil {
		return fail(err)
	}
	out.Keys = m.keyStatus(ctx)
	if d, err := sysload.Disk(existingAncestor(set.Root)); err == nil {
		out.DiskUsed, out.InodesUsed, out.DiskAvail = d.Blocks, d.Inodes, int64(d.AvailBytes)
	}
	if l, err := sysload.ReadLoadAvg(); err == nil {
		out.Load1 = l.One
	}
	nonNil(&out)
	return out, nil
}

// nonNil makes empty lists print as [] rather than null.
func nonNil(s *Status) {
	if s.Slots == nil {
		s.Slots = []Slot{}
	}
	if s.Clients == nil {
		s.Clients = []ClientStats{}
	}
	if s.Recent == nil {
		s.Recent = []Event{}
	}
}

func statusCommand() core.Command {
	return core.Command{Name: "backup status", Usage: "[--json]",
		Help: "show running backups, each client's last backup and usage, and total usage",
		Run: func(ctx context.Context, cx *core.CmdContext, args []string) error {
			asJSON, rest := jsonFlag(args)
			if len(rest) > 0 {
				return fmt.Errorf("unexpected argument %q (usage: aula backup status [--json])", rest[0])
			}
			var st Status
			if err := cx.Call(ctx, "backup.status", nil, &st); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cx.Stdout, st)
			}
			return printStatus(cx.Stdout, st, time.Now())
		}}
}

func printStatus(w io.Writer, st Status, now time.Time) error {
	fmt.Fprintf(w, "backup root %s: %s in %d clients (%s on disk); file system %.0f%% full, %.0f%% inodes, %s free; load %.2f\n",
		st.Root, FormatSize(st.TotalBytes), len(st.Clients), FormatSize(st.TotalDiskBytes),
		100*st.DiskUsed, 100*st.InodesUsed, FormatSize(st.DiskAvail), st.Load1)
	k := st.Keys
	fmt.Fprintf(w, "authorized_keys %s: %d keys installed, %d registered keys missing\n", k.Path, k.Installed, k.Missing)
	if k.Error != "" {
		fmt.Fprintf(w, "ERROR: authorized_keys cannot be updated (since %s): %s\n", when(k.ErrorSince), k.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nSLOTS (%d of %d)\tSTATE\tMODE\tPID\tSINCE\tEXPIRES IN\n", len(st.Slots), st.MaxConcurrent)
	for _, s := range st.Slots {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%v\n", s.UID, s.State, dash(s.Mode), s.PID,
			s.GrantedAt.Local().Format(time.DateTime), s.ExpiresAt.Sub(now).Round(time.Second))
	}
	fmt.Fprintln(tw, "\nCLIENT\tSERIAL\tLAST BACKUP\tRESULT\tSNAPSHOTS\tSIZE\tON DISK")
	for _, c := range st.Clients {
		serial := dash(c.Serial)
		if c.NotRegistered {
			serial = "(removed)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.UID, serial, when(c.LastBackup), dash(c.LastResult),
			c.Snapshots, FormatSize(c.Bytes), FormatSize(c.DiskBytes))
	}
	if len(st.Recent) > 0 {
		fmt.Fprintln(tw, "\nRECENT\tCLIENT\tEVENT\tDETAIL")
		for _, e := range st.Recent {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.At.Local().Format(time.DateTime), dash(e.UID), e.Kind, e.Detail)
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}
