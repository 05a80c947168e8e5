package id

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"aula/internal/core"
)

// A laptop's serial and machine UUID are fixed together in its firmware.
// register is public, so anyone on the LAN could claim a registered XO's
// serial with another UUID and take its place (its backups, its lease).
// A registration that brings a serial registered to another machine UUID
// is therefore refused, unless the admin allowed that serial to move (a
// motherboard swap): `aula client allow-move SERIAL`, or `aula client rm`
// of the old registration. A re-flashed XO (same serial, same UUID, new
// key) still supersedes its old record.

// Refusal is a registration refused for claiming another machine's serial.
type Refusal struct {
	Serial string    `json:"serial"`
	UID    string    `json:"uid"`    // of the refused key
	UUID   string    `json:"uuid"`   // the machine UUID it claimed
	Holder string    `json:"holder"` // uid of the registration holding the serial
	Addr   string    `json:"addr"`
	At     time.Time `json:"at"`
}

// refusalsKept is how many refusals are kept per serial.
const refusalsKept = 20

// checkSerial refuses c when its serial is held by another machine and
// no move was allowed (an allowed move is consumed).
func (m *Module) checkSerial(ctx context.Context, recs clientStore, c Client) error {
	if !indexedSerial(c.Serial) {
		return nil // placeholders and no serial name no machine
	}
	holder, found, err := recs.serialHolder(ctx, c.Serial)
	if err != nil {
		return err
	}
	if !found || holder.UID == c.UID || strings.EqualFold(holder.UUID, c.UUID) {
		return nil
	}
	moved, err := recs.takeMove(ctx, c.Serial)
	if err != nil {
		return writeError(err, recs.dir())
	}
	if moved {
		m.logger().Info("serial moved to another machine, as the admin allowed", "serial", c.Serial, "uuid", c.UUID, "uid", c.UID, "from", holder.UID)
		return nil
	}
	r := Refusal{Serial: c.Serial, UID: c.UID, UUID: c.UUID, Holder: holder.UID, Addr: c.LastAddr, At: c.LastRegistered}
	m.logger().Warn("registration refused: serial registered to another machine", "serial", c.Serial, "uuid", c.UUID,
		"uid", c.UID, "addr", c.LastAddr, "holder", holder.UID)
	if err := recs.refuse(ctx, r); err != nil {
		m.logger().Warn("refused registration not recorded", "serial", c.Serial, "err", err)
	}
	return core.Errorf(core.KindConflict, "serial %s is registered to another machine (a different UUID); if this laptop's motherboard was replaced, the administrator can allow it with `aula client allow-move %s`", c.Serial, c.Serial)
}

// allowMove records that serial may move to another machine.
func (r *records) allowMove(ctx context.Context, serial string, at time.Time) error {
	txCtx := context.WithoutCancel(ctx)
	return r.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(txCtx, "INSERT INTO id_moves (serial, allowed_at) VALUES (?, ?) ON CONFLICT (serial) DO UPDATE SET allowed_at = excluded.allowed_at", serial, fmtTime(at))
		return err
	})
}

// takeMove consumes an allowed move of serial; false when there is none.
func (r *records) takeMove(ctx context.Context, serial string) (bool, error) {
	var n int
	if err := r.db.Reader().QueryRowContext(quick(ctx), "SELECT COUNT(*) FROM id_moves WHERE serial = ?", serial).Scan(&n); err != nil || n == 0 {
		return false, err
	}
	txCtx := context.WithoutCancel(ctx)
	var took bool
	err := r.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(txCtx, "DELETE FROM id_moves WHERE serial = ?", serial)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		took = n > 0
		return err
	})
	return took, err
}

// refuse records a refusal, keeping the newest refusalsKept per serial.
func (r *records) refuse(ctx context.Context, f Refusal) error {
	txCtx := context.WithoutCancel(ctx)
	return r.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(txCtx, "INSERT INTO id_refusals (serial, uid, uuid, holder, addr, at) VALUES (?, ?, ?, ?, ?, ?)",
			f.Serial, f.UID, f.UUID, f.Holder, f.Addr, fmtTime(f.At)); err != nil {
			return err
		}
		_, err := tx.ExecContext(txCtx, `DELETE FROM id_refusals WHERE serial = ? AND rowid NOT IN
	(SELECT rowid FROM id_refusals WHERE serial = ? ORDER BY at DESC LIMIT ?)`, f.Serial, f.Serial, refusalsKept)
		return err
	})
}

// refusals lists the refusals recorded for serial, newest first.
func (r *records) refusals(ctx context.Context, serial string) ([]Refusal, error) {
	rows, err := r.db.Reader().QueryContext(ctx, "SELECT serial, uid, uuid, holder, addr, at FROM id_refusals WHERE serial = ? ORDER BY at DESC", serial)
	if err != nil {
		return nil, fmt.Errorf("id: reading refusals: %w", err)
	}
	defer rows.Close()
	out := []Refusal{}
	for rows.Next() {
		var f Refusal
		var at string
		if err := rows.Scan(&f.Serial, &f.UID, &f.UUID, &f.Holder, &f.Addr, &at); err != nil {
			return nil, fmt.Errorf("id: reading refusals: %w", err)
		}
		f.At = parseTime(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// SerialArgs names a serial for allow_move.
type SerialArgs struct {
	Serial string `json:"serial"`
}

// AllowMoveReply says which serial may move.
type AllowMoveReply struct {
	Serial string `json:"serial"`
}

func (m *Module) allowMoveMethod() core.Method {
	meth := core.Func("allow_move", "Allows a serial to move to another machine (a motherboard swap): its next registration with a new machine UUID supersedes the old record instead of being refused.",
		func(ctx context.Context, in SerialArgs) (AllowMoveReply, error) {
			recs, _, err := m.state()
			if err != nil {
				return AllowMoveReply{}, err
			}
			if err := ValidateSerial(in.Serial); err != nil || !indexedSerial(in.Serial) {
				return AllowMoveReply{}, core.Errorf(core.KindInvalid, "serial: %s is not a laptop's serial number", clip(in.Serial))
			}
			if err := recs.allowMove(ctx, in.Serial, time.Now()); err != nil {
				return AllowMoveReply{}, writeError(fmt.Errorf("id: allowing %s to move: %w", in.Serial, err), recs.dir())
			}
			m.logger().Info("serial allowed to move to another machine", "serial", in.Serial)
			return AllowMoveReply{Serial: in.Serial}, nil
		})
	meth.Access = core.Admin
	meth.Mutates = true
	return meth
}
