package id

import (
	"strings"
)

// replay applies unfolded registrations to folded records in memory, by
// the rules the fold applies them to id_clients and id_history with SQL
// (journal.go, apply): every other current record with the entry's
// indexed uuid or serial is superseded (moved to the history), then the
// entry's uid is inserted, or updated and counted (an empty serial or
// nickname keeps the old one). storeConformance (store_test.go) checks
// that both agree.
type replay struct {
	cur      map[string]*Client // uid → current record
	byUUID   map[string]string  // indexed uuid key → uid
	bySerial map[string]string  // indexed serial → uid
	ended    []HistoryEntry     // supersedes made by the replay, in order
}

func newReplay(base []Client) *replay {
	r := &replay{cur: make(map[string]*Client, len(base)), byUUID: map[string]string{}, bySerial: map[string]string{}}
	for i := range base {
		c := base[i]
		r.cur[c.UID] = &c
		r.index(&c)
	}
	return r
}

func (r *replay) index(c *Client) {
	if k := strings.ToLower(c.UUID); indexedUUID(k) {
		r.byUUID[k] = c.UID
	}
	if indexedSerial(c.Serial) {
		r.bySerial[c.Serial] = c.UID
	}
}

func (r *replay) unindex(c *Client) {
	if k := strings.ToLower(c.UUID); r.byUUID[k] == c.UID {
		delete(r.byUUID, k)
	}
	if r.bySerial[c.Serial] == c.UID {
		delete(r.bySerial, c.Serial)
	}
}

// apply is one registration's effect.
func (r *replay) apply(e *journalEntry) {
	uid := e.c.UID
	if k := e.uuidKey(); indexedUUID(k) {
		if o, ok := r.byUUID[k]; ok && o != uid {
			r.end(o, e)
		}
	}
	if indexedSerial(e.c.Serial) {
		if o, ok := r.bySerial[e.c.Serial]; ok && o != uid {
			r.end(o, e)
		}
	}
	at := e.c.LastRegistered
	c, ok := r.cur[uid]
	if !ok {
		c = &Client{UID: uid, Serial: e.c.Serial, Nickname: e.c.Nickname, FirstRegistered: at}
		r.cur[uid] = c
	} else {
		r.unindex(c)
		if e.c.Serial != "" {
			c.Serial = e.c.Serial
		}
		if e.c.Nickname != "" {
			c.Nickname = e.c.Nickname
		}
	}
	c.UUID, c.PubKey, c.LastRegistered, c.LastAddr = e.c.UUID, e.c.PubKey, at, e.c.LastAddr
	c.Registrations++
	r.index(c)
}

func (r *replay) end(uid string, by *journalEntry) {
	c := r.cur[uid]
	r.unindex(c)
	delete(r.cur, uid)
	r.ended = append(r.ended, HistoryEntry{Client: *c, Ended: by.c.LastRegistered, Reason: "superseded", ReplacedBy: by.c.UID})
}

// get returns uid's record after the replay.
func (r *replay) get(uid string) (Client, bool) {
	c, ok := r.cur[uid]
	if !ok {
		return Client{}, false
	}
	return *c, true
}
