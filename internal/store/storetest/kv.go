package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"aula/internal/store"
)

func testKVGetPut(t *testing.T, open Opener) {
	ctx := context.Background()
	kv := open(t).KV("test")
	if v, ok, err := kv.Get(ctx, "a"); err != nil || ok || v != nil {
		t.Fatalf("Get missing = %q, %v, %v; want nil, false, nil", v, ok, err)
	}
	for _, val := range []string{"1", "second value", ""} {
		if err := kv.Put(ctx, "a", []byte(val)); err != nil {
			t.Fatalf("Put %q: %v", val, err)
		}
		v, ok, err := kv.Get(ctx, "a")
		if err != nil || !ok || string(v) != val || v == nil {
			t.Fatalf("Get after Put %q = %q, %v, %v", val, v, ok, err)
		}
	}
	if err := kv.Put(ctx, "nil", nil); err != nil {
		t.Fatalf("Put nil: %v", err)
	}
	if v, ok, err := kv.Get(ctx, "nil"); err != nil || !ok || len(v) != 0 {
		t.Fatalf("Get of nil value = %q, %v, %v; want empty, true", v, ok, err)
	}
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	if err := kv.Put(ctx, "bin", bin); err != nil {
		t.Fatal(err)
	}
	if v, _, err := kv.Get(ctx, "bin"); err != nil || !bytes.Equal(v, bin) {
		t.Fatalf("binary value did not round-trip: %x, %v", v, err)
	}
}

func testKVDelete(t *testing.T, open Opener) {
	ctx := context.Background()
	kv := open(t).KV("test")
	if err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok, err := kv.Get(ctx, "k"); err != nil || ok {
		t.Fatalf("Get after Delete: ok=%v err=%v", ok, err)
	}
	if err := kv.Delete(ctx, "never-there"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

func testKVList(t *testing.T, open Opener) {
	ctx := context.Background()
	kv := open(t).KV("test")
	keys := []string{"b/2", "a", "b/1", "b", "c", "b/10", "bz", "é", "z"}
	for _, k := range keys {
		if err := kv.Put(ctx, k, []byte("val:"+k)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"b/", []string{"b/1", "b/10", "b/2"}},
		{"b", []string{"b", "b/1", "b/10", "b/2", "bz"}},
		// Bytewise order: "z" (0x7a) sorts before "é" (0xc3 0xa9).
		{"", []string{"a", "b", "b/1", "b/10", "b/2", "bz", "c", "z", "é"}},
		{"zz", nil},
	}
	for _, c := range cases {
		got, err := kv.List(ctx, c.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", c.prefix, err)
		}
		var names []string
		for _, p := range got {
			names = append(names, p.Key)
			if string(p.Value) != "val:"+p.Key {
				t.Errorf("List(%q): %s has value %q", c.prefix, p.Key, p.Value)
			}
		}
		if strings.Join(names, ",") != strings.Join(c.want, ",") {
			t.Errorf("List(%q) = %q, want %q", c.prefix, names, c.want)
		}
	}
}

func testKVNamespaces(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	a, b := db.KV("alpha"), db.KV("beta")
	if err := a.Put(ctx, "k", []byte("A")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "k", []byte("B")); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := a.Get(ctx, "k"); string(v) != "A" {
		t.Errorf("alpha/k = %q, want A", v)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Get(ctx, "k"); !ok {
		t.Errorf("deleting beta/k removed alpha/k")
	}
	if l, _ := b.List(ctx, ""); len(l) != 0 {
		t.Errorf("beta lists %v after delete", l)
	}
	if l, _ := a.List(ctx, ""); len(l) != 1 {
		t.Errorf("alpha lists %v, want one entry", l)
	}
}

func testKVInvalid(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	kv := db.KV("test")
	for _, key := range []string{"", "nul\x00byte", "bad\xffutf8", strings.Repeat("k", store.MaxKeyLen+1)} {
		if err := kv.Put(ctx, key, []byte("v")); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", key)
		}
		if _, _, err := kv.Get(ctx, key); err == nil {
			t.Errorf("Get(%q) succeeded, want an error", key)
		}
	}
	if err := db.KV("").Put(ctx, "k", nil); err == nil {
		t.Errorf("Put in empty namespace succeeded")
	}
	if _, err := db.KV("bad\x00ns").List(ctx, ""); err == nil {
		t.Errorf("List in namespace with NUL succeeded")
	}
	if err := kv.Put(ctx, "big", make([]byte, store.MaxValueSize+1)); err == nil {
		t.Errorf("Put of a value over MaxValueSize succeeded")
	}
	if l, err := kv.List(ctx, ""); err != nil || len(l) != 0 {
		t.Errorf("failed Puts stored something: %v, %v", l, err)
	}
}
