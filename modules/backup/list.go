package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"aula/internal/core"
	"aula/modules/backup/snapshot"
	"aula/modules/id/idapi"
)

// ListArgs names a client by uid, serial or machine UUID.
type ListArgs struct {
	ID string `json:"id"`
}

// SnapshotInfo is one snapshot with its size.
type SnapshotInfo struct {
	Name     string    `json:"name"`
	Time     time.Time `json:"time"`
	Files    int64     `json:"files"`
	Bytes    int64     `json:"bytes"`     // apparent size of its files
	NewBytes int64     `json:"new_bytes"` // in files not in the previous snapshot
}

// ClientBackups is a client's backup directory: current and snapshots.
type ClientBackups struct {
	UID          string         `json:"uid"`
	Dir          string         `json:"dir"`
	CurrentBytes int64          `json:"current_bytes"`
	DiskBytes    int64          `json:"disk_bytes"` // whole directory, hard links once
	Snapshots    []SnapshotInfo `json:"snapshots"`
}

func (m *Module) listMethod() core.Method {
	meth := core.Func("list", "Lists a client's snapshots (oldest first) with their sizes. id is a uid, serial or machine UUID.", m.list)
	meth.Access = core.Admin
	return meth
}

func (m *Module) list(ctx context.Context, in ListArgs) (ClientBackups, error) {
	set, _, err := m.state()
	if err != nil {
		return ClientBackups{}, err
	}
	uid, err := m.resolveUID(ctx, in.ID, set)
	if err != nil {
		return ClientBackups{}, err
	}
	dir := filepath.Join(set.Root, uid)
	out := ClientBackups{UID: uid, Dir: dir, Snapshots: []SnapshotInfo{}}
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	snaps, err := snapshot.List(dir)
	if err != nil {
		return out, core.Wrap(core.KindInternal, err, "cannot read the client's snapshots")
	}
	for _, s := range snaps {
		out.Snapshots = append(out.Snapshots, SnapshotInfo{Name: s.Name, Time: s.Time, Files: s.Files, Bytes: s.Bytes, NewBytes: s.NewBytes})
	}
	if u, err := snapshot.UsageOf(filepath.Join(dir, snapshot.CurrentDir)); err == nil {
		out.CurrentBytes = u.Bytes
	}
	if u, err := snapshot.UsageOf(dir); err == nil {
		out.DiskBytes = u.DiskBytes
	}
	return out, nil
}

// resolveUID finds a client's uid by uid, machine UUID or serial; a uid
// that is no longer registered still names its directory if there is one.
func (m *Module) resolveUID(ctx context.Context, key string, set Settings) (string, error) {
	if uid := strings.ToLower(key); idapi.ValidUID(uid) {
		if _, err := os.Lstat(filepath.Join(set.Root, uid)); err == nil {
			return uid, nil
		}
	}
	for _, in := range []AdmitArgs{{UUID: key}, {Serial: key}} {
		c, err := m.findClient(ctx, in)
		if err == nil {
			return c.UID, nil
		}
		if k := core.KindOf(err); k != core.KindInvalid && k != core.KindPermission {
			return "", err
		}
		// not this form, or not found by it
	}
	return "", core.Errorf(core.KindNotFound, "no client %.80q (give a uid, serial or machine UUID)", key)
}

func listCommand() core.Command {
	return core.Command{Name: "backup list", Usage: "UID|SERIAL|UUID [--json]",
		Help: "list a client's backup snapshots with their sizes",
		Run: func(ctx context.Context, cx *core.CmdContext, args []string) error {
			asJSON, rest := jsonFlag(args)
			if len(rest) != 1 {
				return fmt.Errorf("want one client (usage: aula backup list UID|SERIAL|UUID [--json])")
			}
			var out ClientBackups
			if err := cx.Call(ctx, "backup.list", map[string]any{"id": rest[0]}, &out); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cx.Stdout, out)
			}
			return printList(cx.Stdout, out)
		}}
}

func printList(w io.Writer, b ClientBackups) error {
	fmt.Fprintf(w, "client %s\ncurrent %s, whole directory %s on disk\n", b.UID, FormatSize(b.CurrentBytes), FormatSize(b.DiskBytes))
	if len(b.Snapshots) == 0 {
		_, err := fmt.Fprintln(w, "no snapshots")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SNAPSHOT\tFILES\tSIZE\tNEW")
	for _, s := range b.Snapshots {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Name, s.Files, FormatSize(s.Bytes), FormatSize(s.NewBytes))
	}
	return tw.Flush()
}

// jsonFlag takes --json out of args.
func jsonFlag(args []string) (bool, []string) {
	var rest []string
	asJSON := false
	for _, a := range args {
		if a == "--json" {
			asJSON = true
		} else {
			rest = append(rest, a)
		}
	}
	return asJSON, rest
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
