package id

import (
	"os/user"
	"strings"
	"sync"
	"testing"

	"aula/internal/core"
	"aula/modules/id/idapi"
)

// clientEvents flattens published batches into "registered UID" and
// "removed UID".
func clientEvents(t *testing.T, evs []core.Event) []string {
	t.Helper()
	var out []string
	for _, e := range evs {
		batch, ok := e.Data.(idapi.Changes)
		if e.Topic != idapi.TopicChanges || !ok {
			t.Fatalf("event %s carries %T", e.Topic, e.Data)
		}
		for _, ch := range batch {
			if ch.Removed {
				out = append(out, "removed "+ch.Client.UID)
			} else {
				out = append(out, "registered "+ch.Client.UID)
			}
		}
	}
	return out
}

// A registration claiming a registered serial with another machine UUID
// is refused in-band (register is public: anyone could otherwise take an
// XO's place), logged and shown by client show; once the admin allows the
// move (a motherboard swap) it supersedes the old record.
func TestSupersedeBySerial(t *testing.T) {
	h := newHarness(t, dataDir(t))
	k1, k2 := newKey(t), newKey(t)
	h.register("SHF706002A7", "old board", "11111111-2222-3333-4444-555555555555", k1)
	h.settle()
	h.events.take()
	v, err := h.xmlrpcCall("register", "SHF706002A7", "thief", "66666666-7777-8888-9999-000000000000", k2)
	if m, _ := v.(map[string]any); err != nil || m["success"] != "ERR" || !strings.Contains(str(m["error"]), "allow-move SHF706002A7") {
		t.Fatalf("claiming a registered serial with another uuid: %v %v", v, err)
	}
	if code, _ := h.postJSON("/client/register", map[string]any{"uuid": "66666666-7777-8888-9999-000000000000",
		"serial": "SHF706002A7", "pubkey": k2}); code != 409 {
		t.Errorf("REST form of the claim: HTTP %d, want 409", code)
	}
	var show ShowReply
	if err := h.admin("id.show", map[string]any{"id": "SHF706002A7"}, &show); err != nil {
		t.Fatal(err)
	}
	if len(show.Clients) != 1 || show.Clients[0].UID != UIDOf(k1) || len(show.Refused) != 2 ||
		show.Refused[0].UID != UIDOf(k2) || show.Refused[0].Holder != UIDOf(k1) {
		t.Fatalf("show after refused claims: %+v", show)
	}
	if out, err := h.runCommand("client show", "SHF706002A7"); err != nil || !strings.Contains(out, "REFUSED") ||
		!strings.Contains(out, "66666666-7777-8888-9999-000000000000") {
		t.Errorf("client show: %v\n%s", err, out)
	}
	if out, err := h.runCommand("client allow-move", "SHF706002A7"); err != nil || !strings.Contains(out, "SHF706002A7") {
		t.Fatalf("client allow-move: %v %s", err, out)
	}
	h.register("SHF706002A7", "new board", "66666666-7777-8888-9999-000000000000", k2)
	if evs := h.events.take(); len(evs) != 0 {
		t.Errorf("events %v before the journal was folded", evs)
	}
	h.settle()

	got := clientEvents(t, h.events.take())
	want := []string{"removed " + UIDOf(k1), "registered " + UIDOf(k2)}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("events %v, want %v", got, want)
	}
	if _, s := h.get("/client/status?uid=" + UIDOf(k1)); s["registered"] != false {
		t.Errorf("superseded uid: %v", s)
	}
	if _, s := h.get("/client/status?uid=" + UIDOf(k2)); s["registered"] != true {
		t.Errorf("new uid: %v", s)
	}
	show = ShowReply{}
	if err := h.admin("id.show", map[string]any{"id": "SHF706002A7"}, &show); err != nil {
		t.Fatal(err)
	}
	if !show.Registered || len(show.Clients) != 1 || show.Clients[0].UID != UIDOf(k2) ||
		len(show.History) != 1 || show.History[0].UID != UIDOf(k1) || show.History[0].Reason != "superseded" ||
		show.History[0].ReplacedBy != UIDOf(k2) || show.History[0].Nickname != "old board" {
		t.Errorf("show %+v", show)
	}
	// The superseded uid itself is still known, as history only.
	if err := h.admin("id.show", map[string]any{"id": UIDOf(k1)}, &show); err != nil || show.Registered || len(show.History) != 1 {
		t.Errorf("show old uid: %+v %v", show, err)
	}
	// The move was used up: the old board cannot take the serial back.
	v, err = h.xmlrpcCall("register", "SHF706002A7", "old board", "11111111-2222-3333-4444-555555555555", k1)
	if m, _ := v.(map[string]any); err != nil || m["success"] != "ERR" {
		t.Errorf("a second move without allow-move: %v %v", v, err)
	}
}

// A re-flashed XO keeps its serial and UUID and brings a new key: that
// supersedes its old record without the admin. Placeholder serials are
// shared by many machines and never refused; rm frees a serial.
func TestSerialReflashPlaceholderAndRemove(t *testing.T) {
	h := newHarness(t, dataDir(t))
	k1, k2, k3 := newKey(t), newKey(t), newKey(t)
	h.register("SHF706002A7", "xo", machineUUID, k1)
	h.register("SHF706002A7", "xo", strings.ToLower(machineUUID), k2) // re-flashed
	if c, ok, _ := h.mod.ClientBySerial(t.Context(), "SHF706002A7"); !ok || c.UID != UIDOf(k2) {
		t.Fatalf("re-flashed XO: %+v %v", c, ok)
	}
	h.register(PlaceholderSerial, "a", "11111111-2222-3333-4444-555555555555", newKey(t))
	h.register(PlaceholderSerial, "b", "66666666-7777-8888-9999-000000000000", newKey(t))
	if err := h.admin("id.remove", map[string]any{"id": UIDOf(k2)}, nil); err != nil {
		t.Fatal(err)
	}
	h.register("SHF706002A7", "new owner", "66666666-7777-8888-9999-0000000000AA", k3)
}

func TestSupersedeByUUID(t *testing.T) {
	h := newHarness(t, dataDir(t))
	k1, k2 := newKey(t), newKey(t)
	h.register("SHF706002A7", "nena", machineUUID, k1)
	// A profile reset: same machine, new key.
	h.register("SHF706002A7", "nena", machineUUID, k2)
	cs, _ := h.mod.Clients(t.Context())
	if len(cs) != 1 || cs[0].UID != UIDOf(k2) {
		t.Errorf("clients %+v", cs)
	}
	c, ok, _ := h.mod.ClientByUUID(t.Context(), machineUUID)
	if !ok || c.UID != UIDOf(k2) || c.UUID != machineUUID {
		t.Errorf("ClientByUUID %+v %v", c, ok)
	}
}

func TestPlaceholdersDoNotSupersede(t *testing.T) {
	h := newHarness(t, dataDir(t))
	k1, k2 := newKey(t), newKey(t)
	h.register(PlaceholderSerial, "a", PlaceholderUUID, k1)
	h.register(PlaceholderSerial, "b", PlaceholderUUID, k2)
	cs, _ := h.mod.Clients(t.Context())
	if len(cs) != 2 {
		t.Fatalf("clients %+v", cs)
	}
	if _, s := h.get("/client/status?uuid=" + PlaceholderUUID); s["registered"] != true || s["backup-url"] != defaultBackupUser(user.Lookup)+"@xs.school.lan:"+UIDOf(k2) {
		t.Errorf("status by the placeholder uuid: %v", s)
	}
	// Removing by the shared serial is ambiguous; by uid it is not.
	err := h.admin("id.remove", map[string]any{"id": PlaceholderSerial}, nil)
	if core.KindOf(err) != core.KindConflict {
		t.Errorf("remove by a shared serial: %v", err)
	}
	if err := h.admin("id.remove", map[string]any{"id": UIDOf(k1)}, nil); err != nil {
		t.Fatal(err)
	}
	if c, ok, _ := h.mod.ClientBySerial(t.Context(), PlaceholderSerial); !ok || c.UID != UIDOf(k2) {
		t.Errorf("left %+v", c)
	}
}

// A non-XO Sugar sends a new random serial and a new uuid1 at every
// registration, but always the same key: that is one client.
func TestNonXORegistersAgainUnderOneID(t *testing.T) {
	h := newHarness(t, dataDir(t))
	k := newKey(t)
	h.register("RCU95305614", "n", "a8098c1a-f86e-11da-bd1a-00112444be1e", k)
	h.register("XKQ95399999", "n", "b8098c1a-f86e-11da-bd1a-00112444be1e", k)
	cs, _ := h.mod.Clients(t.Context())
	if len(cs) != 1 || cs[0].Serial != "XKQ95399999" || cs[0].Registrations != 2 {
		t.Errorf("clients %+v", cs)
	}
	if _, ok, _ := h.mod.ClientBySerial(t.Context(), "RCU95305614"); ok {
		t.Error("the old serial still finds the client")
	}
}

func TestRemoveAndEvents(t *testing.T) {
	h := newHarness(t, dataDir(t))
	k := newKey(t)
	h.register("SHF706002A7", "nena", machineUUID, k)
	h.settle()
	evs := h.events.take()
	if len(evs) != 1 {
		t.Fatalf("events %v", evs)
	}
	batch, _ := evs[0].Data.(idapi.Changes)
	if len(batch) != 1 || batch[0].Removed || batch[0].Client.UID != UIDOf(k) || batch[0].Client.UUID != machineUUID ||
		batch[0].Client.Serial != "SHF706002A7" || batch[0].Client.PubKey != k {
		t.Errorf("event %+v", evs[0])
	}
	var rm RemoveReply
	if err := h.admin("id.remove", map[string]any{"id": machineUUID}, &rm); err != nil {
		t.Fatal(err)
	}
	if rm.Removed.UID != UIDOf(k) {
		t.Errorf("removed %+v", rm)
	}
	if got := clientEvents(t, h.events.take()); len(got) != 1 || got[0] != "removed "+UIDOf(k) {
		t.Errorf("events %v", got)
	}
	if _, s := h.get("/client/status?uid=" + UIDOf(k)); s["registered"] != false {
		t.Errorf("status after rm: %v", s)
	}
	err := h.admin("id.remove", map[string]any{"id": UIDOf(k)}, nil)
	if core.KindOf(err) != core.KindNotFound {
		t.Errorf("second rm: %v", err)
	}
	err = h.admin("id.show", map[string]any{"id": "NOSUCH123"}, nil)
	if core.KindOf(err) != core.KindNotFound {
		t.Errorf("show unknown: %v", err)
	}
	err = h.admin("id.show", map[string]any{"id": "no such"}, nil)
	if core.KindOf(err) != core.KindInvalid {
		t.Errorf("show malformed: %v", err)
	}
}

func TestRecordsSurviveRestart(t *testing.T) {
	dir := dataDir(t)
	h := newHarness(t, dir)
	k := newKey(t)
	h.register("SHF706002A7", "nena", machineUUID, k)
	var st StampReply
	if err := h.admin("id.reregister_all", nil, &st); err != nil {
		t.Fatal(err)
	}
	h.close()

	h = newHarness(t, dir)
	c, ok, err := h.mod.ClientByUID(t.Context(), UIDOf(k))
	if err != nil || !ok || c.Serial != "SHF706002A7" || c.PubKey != k || c.Registrations != 1 {
		t.Fatalf("after restart: %+v %v %v", c, ok, err)
	}
	_, s := h.get("/client/status?uid=" + UIDOf(k))
	if s["registered"] != true || s["stamp"] != st.Stamp {
		t.Errorf("status after restart %v, want stamp %s", s, st.Stamp)
	}
}

// Registrations of one machine (serial and UUID) racing with different
// keys end with exactly one current record; the others are history, and every call got
// an answer.
func TestConcurrentSupersede(t *testing.T) {
	h := newHarness(t, dataDir(t))
	const n = 20
	keys := make([]string, n)
	for i := range keys {
		keys[i] = newKey(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One machine re-flashed again and again: same serial and
			// UUID, a new key each time.
			_, err := h.mod.register(t.Context(), ClientArgs{UUID: machineUUID, Serial: "SHF706002A7", PubKey: keys[i]}, true)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	cs, _ := h.mod.Clients(t.Context())
	var show ShowReply
	if err := h.admin("id.show", map[string]any{"id": "SHF706002A7"}, &show); err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || len(show.Clients) != 1 || len(show.History) != n-1 {
		t.Errorf("%d current, %d in history; want 1 and %d", len(cs), len(show.History), n-1)
	}
	h.settle()
	removed := 0
	for _, e := range clientEvents(t, h.events.take()) {
		if strings.HasPrefix(e, "removed ") {
			removed++
		}
	}
	if removed != n-1 {
		t.Errorf("%d removal events, want %d", removed, n-1)
	}
}
