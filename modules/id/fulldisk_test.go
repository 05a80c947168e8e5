package id

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"aula/internal/core"
)

// fullDisk is a data directory whose disk can be filled and freed: a real
// 2 MiB tmpfs when this process may mount one, else the database's own
// size limit (max_page_count), which SQLite reports exactly as it reports
// a full disk (SQLITE_FULL).
type fullDisk struct {
	t      *testing.T
	dir    string
	filler string // on the tmpfs; "" when the size limit is used
}

func newFullDisk(t *testing.T) *fullDisk {
	mnt := t.TempDir()
	if os.Geteuid() == 0 {
		if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt).Run(); err == nil {
			t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
			return &fullDisk{t: t, dir: filepath.Join(mnt, "data"), filler: filepath.Join(mnt, "filler")}
		}
	}
	t.Log("cannot mount a tmpfs here: the database's size limit stands in for a full disk")
	return &fullDisk{t: t, dir: filepath.Join(mnt, "data")}
}

// fill takes the remaining space.
func (d *fullDisk) fill(h *harness) {
	d.t.Helper()
	if d.filler == "" {
		d.pageLimit(h, "(SELECT page_count FROM pragma_page_count())")
		return
	}
	f, err := os.OpenFile(d.filler, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 16<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				d.t.Fatal(err)
			}
			return
		}
	}
}

func (d *fullDisk) free(h *harness) {
	d.t.Helper()
	if d.filler == "" {
		d.pageLimit(h, "1073741823")
		return
	}
	if err := os.Remove(d.filler); err != nil {
		d.t.Fatal(err)
	}
}

// pageLimit sets max_page_count on the store's one writer connection.
func (d *fullDisk) pageLimit(h *harness, n string) {
	d.t.Helper()
	err := h.db.Write(context.Background(), func(tx *sql.Tx) error {
		var count int
		if err := tx.QueryRow("SELECT page_count FROM pragma_page_count()").Scan(&count); err != nil {
			return err
		}
		if n[0] == '(' {
			n = fmt.Sprint(count)
		}
		_, err := tx.Exec("PRAGMA max_page_count = " + n)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

// TestRegisterOnFullDisk: on a full disk a registration is refused as
// Unavailable with a message that says so and names the data directory
// (in-band for the Sugar form, an error for the REST form, which front
// ends send as 503), never as an "internal error"; once there is room
// again registrations succeed without a restart.
func TestRegisterOnFullDisk(t *testing.T) {
	d := newFullDisk(t)
	h := newHarness(t, d.dir)
	ctx := context.Background()
	sugar := func(serial, uuid string) RegisterReply {
		t.Helper()
		out, err := h.app.Handle(ctx, &core.Call{Method: "register", Transport: "xmlrpc",
			Args: []any{serial, "nick", uuid, newKey(t)}})
		if err != nil {
			t.Fatalf("register answered with an error: %v", err)
		}
		return out.(RegisterReply)
	}
	if r := sugar("SHF706002A1", "11111111-2222-3333-4444-000000000001"); r.Success != "OK" {
		t.Fatalf("before the disk is full: %+v", r)
	}
	d.fill(h)
	// Registrations until the disk refuses one (a tmpfs may still take the
	// odd page the filler left).
	var refused RegisterReply
	for i := 2; i < 200 && refused.Success == ""; i++ {
		if r := sugar(fmt.Sprintf("SHF7060%04d", i), fmt.Sprintf("11111111-2222-3333-4444-%012d", i)); r.Success != "OK" {
			refused = r
		}
	}
	if !strings.Contains(refused.Error, "no space left") || !strings.Contains(refused.Error, h.db.Dir()) ||
		strings.Contains(refused.Error, "internal error") {
		t.Fatalf("Sugar registration on a full disk: %+v; want no space left in %s", refused, h.db.Dir())
	}
	t.Log(refused.Error)
	_, err := h.app.Handle(ctx, &core.Call{Method: "id.register_client", Transport: "rest",
		Named: map[string]any{"uuid": "11111111-2222-3333-4444-999999999999", "pubkey": newKey(t)}})
	if e := core.AsError(err); e == nil || e.Kind != core.KindUnavailable || !strings.Contains(e.Msg, h.db.Dir()) {
		t.Fatalf("REST registration on a full disk: %v; want Unavailable naming %s", err, h.db.Dir())
	}
	d.free(h)
	if r := sugar("SHF706009Z9", "11111111-2222-3333-4444-777777777777"); r.Success != "OK" {
		t.Fatalf("once there is room again: %+v", r)
	}
}
