package lab

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"aula/internal/core"
	"aula/internal/wol"
	"aula/modules/lab/labapi"
)

// Wake-on-LAN (OpenGnsys Arrancar, codigo 1). No agent runs while a
// computer is off, so the server (the process that handles the call:
// `aula serve`, or the CLI on the data directory) sends the magic packet
// itself, records one action row per computer, finished or failed at
// once, and marks the computers it woke "booting" until their agents
// connect or --lab-boot-timeout passes.

// checkWolAddr accepts "" or HOST:PORT.
func checkWolAddr(s string) error {
	if s == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return fmt.Errorf("want HOST:PORT (e.g. 10.0.3.255:9), got %q", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q: want 1-65535", port)
	}
	return nil
}

// bootState is a computer's state as read: booting ends when its time
// passes (the agent never connected), even with no server running to
// sweep it.
func bootState(state, until string, at time.Time) string {
	if state == agentBooting && (until == "" || until <= fmtTime(at)) {
		return agentOff
	}
	return state
}

// defaultNetmask is a lab's when it names none.
const defaultNetmask = "255.255.255.0"

// netmaskBits parses a dotted netmask or a prefix length ("24").
func netmaskBits(s string) (int, error) {
	if s == "" {
		s = defaultNetmask
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 32 {
		return n, nil
	}
	ip := net.ParseIP(s).To4()
	if ip == nil {
		return 0, fmt.Errorf("netmask %q: want a dotted mask (255.255.255.0) or a prefix length (24)", s)
	}
	ones, bits := net.IPMask(ip).Size()
	if bits == 0 {
		return 0, fmt.Errorf("netmask %q: its ones are not contiguous", s)
	}
	return ones, nil
}

// wolTarget is where a computer's magic packet goes: --lab-wol-addr if
// set; else with mar=2 (unicast) its IP, port 9; else its lab's directed
// broadcast (255.255.255.255 when it has no IPv4 address).
func (m *Module) wolTarget(c Computer, netmask, mar string) (string, error) {
	if a := m.wolAddr.Get(); a != "" {
		return a, nil
	}
	ip, err := netip.ParseAddr(c.IP)
	if mar == "2" {
		if err != nil {
			return "", fmt.Errorf("unicast wake (mar=2) needs the computer's IP")
		}
		return netip.AddrPortFrom(ip, wol.Port).String(), nil
	}
	bits, berr := netmaskBits(netmask)
	if berr != nil {
		return "", berr
	}
	if err != nil {
		ip = netip.IPv4Unspecified()
		bits = 0
	}
	return netip.AddrPortFrom(wol.DirectedBroadcast(ip, bits), wol.Port).String(), nil
}

// WakeArgs names the computers to wake; PARAM mar=2 sends to each
// computer's IP instead of its lab's broadcast.
type WakeArgs struct {
	Lab      string            `json:"lab,omitempty"`
	Group    string            `json:"group,omitempty"`
	Computer string            `json:"computer,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
}

func (m *Module) wakeMethod() core.Method {
	me := core.Func("wake", "Wakes a computer, a group or a lab (Wake-on-LAN, Arrancar): one action row per computer; those woken are booting until their agents connect.",
		func(ctx context.Context, in WakeArgs) (Launched, error) {
			cmd, _ := labapi.Resolve("Arrancar")
			return m.wake(ctx, RunArgs{Command: cmd.Name, Lab: in.Lab, Group: in.Group, Computer: in.Computer, Params: in.Params}, cmd)
		})
	me.Mutates = true
	return me
}

// wake sends the magic packets, then records them. The packets go out
// before the write: a transaction is no place to wait for the network.
func (m *Module) wake(ctx context.Context, in RunArgs, cmd labapi.Command) (Launched, error) {
	if err := checkTarget(in.Lab, in.Group, in.Computer); err != nil {
		return Launched{}, err
	}
	if err := checkParams(cmd, in.Params); err != nil {
		return Launched{}, err
	}
	mar := in.Params["mar"]
	if mar != "" && mar != "1" && mar != "2" {
		return Launched{}, core.Errorf(core.KindInvalid, "param mar=%q: 1 (broadcast) or 2 (unicast)", mar)
	}
	lab := in.Lab
	if lab == "all" {
		lab = ""
	}
	r := m.t.db.Reader()
	cs, err := m.t.computers(ctx, r, lab, in.Group, in.Computer)
	if err != nil {
		return Launched{}, storeError(err, "reading computers")
	}
	if len(cs) == 0 {
		return Launched{}, core.Errorf(core.KindNotFound, "no computer matches (lab %q, group %q, computer %q)", in.Lab, in.Group, in.Computer)
	}
	masks, err := m.t.netmasks(ctx)
	if err != nil {
		return Launched{}, storeError(err, "reading labs")
	}
	at := now()
	out := Launched{Launch: newLaunchID(at), Command: cmd.Name, Actions: []LaunchedRow{}, Skipped: []string{}}
	type sent struct {
		c      Computer
		ok     bool
		output string
	}
	var rows []sent
	for _, c := range cs {
		if c.Maintenance {
			out.Skipped = append(out.Skipped, c.Name)
			continue
		}
		s := sent{c: c}
		mac, perr := net.ParseMAC(c.MAC)
		target, terr := m.wolTarget(c, masks[c.Lab], mar)
		switch {
		case c.MAC == "" || perr != nil:
			s.output = "no MAC address to wake: add the computer with --mac"
		case terr != nil:
			s.output = terr.Error()
		default:
			if err := wol.Send(ctx, target, mac); err != nil {
				s.output = err.Error()
			} else {
				s.ok, s.output = true, fmt.Sprintf("magic packet for %s sent to %s", c.MAC, target)
			}
		}
		rows = append(rows, s)
	}
	launcher := callerName(ctx)
	params := paramsJSON(in.Params)
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out.Actions = out.Actions[:0]
		for _, s := range rows {
			state, result := stateFinished, resultOK
			if !s.ok {
				state, result = stateFailed, resultFailed
			}
			var id int64
			if err := tx.QueryRowContext(ctx, m.t.q("INSERT INTO lab_actions (launch, computer, lab, command, code, params, launcher, state, result, output, created_at, sent_at, finished_at, expires_at) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
				out.Launch, s.c.Name, s.c.Lab, cmd.Name, cmd.Code, params, launcher, state, result, s.output,
				fmtTime(at), fmtTime(at), fmtTime(at), fmtTime(at)).Scan(&id); err != nil {
				return err
			}
			out.Actions = append(out.Actions, LaunchedRow{ID: id, Computer: s.c.Name})
			if s.ok {
				// Only a computer that is off boots; one whose agent is
				// connected stays as it is.
				if _, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET state = ?, boot_until = ? WHERE name = ? AND state IN (?, ?)"),
					agentBooting, fmtTime(at.Add(m.bootTimeout.Get())), s.c.Name, agentOff, agentBooting); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Launched{}, kindError(err, "recording the wake-up")
	}
	return out, nil
}

// netmasks is each lab's netmask ("" for the default).
func (t *tables) netmasks(ctx context.Context) (map[string]string, error) {
	rows, err := t.db.Reader().QueryContext(ctx, "SELECT name, netmask FROM lab_labs")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, mask string
		if err := rows.Scan(&n, &mask); err != nil {
			return nil, err
		}
		out[n] = mask
	}
	return out, rows.Err()
}
