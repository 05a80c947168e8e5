package core

import (
	"context"
	"testing"
)

type benchArgs struct {
	Serial   string `json:"serial"`
	Nickname string `json:"nickname"`
	UUID     string `json:"uuid"`
	PubKey   string `json:"pubkey"`
}

type benchReply struct {
	Success string            `json:"success"`
	Stamp   string            `json:"stamp,omitempty"`
	Config  map[string]string `json:"config,omitempty"`
}

type benchModule struct{}

func (benchModule) Methods() []Method {
	reply := benchReply{Success: "OK", Stamp: "1-2", Config: map[string]string{"uid": "x"}}
	m := Func("register", "bench", func(ctx context.Context, in benchArgs) (benchReply, error) {
		if in.PubKey == "" {
			return benchReply{Success: "ERR"}, nil
		}
		return reply, nil
	})
	m.Aliases = []string{"register"}
	return []Method{m}
}

func init() {
	Register(ModuleInfo{ID: "corebench", New: func() Module { return benchModule{} }})
}

// BenchmarkHandle is one Sugar-shaped register call (four positional
// strings into a typed handler) through the default chain, as a front end
// makes it: a fresh Call with a request id.
func BenchmarkHandle(b *testing.B) {
	a, err := NewApp(nil, "corebench")
	if err != nil {
		b.Fatal(err)
	}
	args := []any{"BEN0000002A", "bench 42", "00000000-0000-4000-8000-00000000002A", "AAAAC3NzaC1lZDI1NTE5AAAAIHaQ"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c := &Call{Method: "register", Args: args, Transport: "xmlrpc", ID: NewID()}
		out, err := a.Handle(ctx, c)
		if err != nil || out.(benchReply).Success != "OK" {
			b.Fatal(out, err)
		}
	}
}

func BenchmarkNewID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(NewID()) != 12 {
			b.Fatal("bad id")
		}
	}
}
