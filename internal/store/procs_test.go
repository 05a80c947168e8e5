package store_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/store"
)

// Some tests need real separate processes: they re-run this test binary
// with AULA_STORE_CHILD set, and TestMain turns it into that child.
func TestMain(m *testing.M) {
	switch os.Getenv("AULA_STORE_CHILD") {
	case "":
		os.Exit(m.Run())
	case "writer":
		writerChild(os.Getenv("AULA_STORE_DIR"), os.Getenv("AULA_STORE_ROUND"))
	case "once":
		onceChild(os.Getenv("AULA_STORE_DIR"))
	}
	os.Exit(3)
}

func child(t *testing.T, role, dir string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append(env, "AULA_STORE_CHILD="+role, "AULA_STORE_DIR="+dir)...)
	return cmd
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// writerChild puts keys from 16 goroutines forever and prints each key
// once Put has returned (acknowledged), until it is killed.
func writerChild(dir, round string) {
	db, err := store.Open(context.Background(), store.Options{Dir: dir})
	if err != nil {
		die("open: %v", err)
	}
	kv := db.KV("durable")
	for g := range 16 {
		go func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s-g%02d-%06d", round, g, i)
				if err := kv.Put(context.Background(), key, []byte(key)); err != nil {
					die("put %s: %v", key, err)
				}
				os.Stdout.Write([]byte(key + "\n")) // one write per line: lines never interleave
			}
		}()
	}
	select {}
}

func TestKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dir := filepath.Join(t.TempDir(), "data")
	var acked []string
	for round := range 3 {
		cmd := child(t, "writer", dir, fmt.Sprint("AULA_STORE_ROUND=", round))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			acked = append(acked, sc.Text())
			if n++; n == 1000 {
				cmd.Process.Kill() // SIGKILL while 16 writers are busy
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child was not killed (%v) after %d keys: %s", round, err, n, stderr.String())
		}
		db, err := store.Open(context.Background(), store.Options{Dir: dir})
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		if err := db.IntegrityCheck(context.Background()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, key := range acked {
			if v, ok, err := db.KV("durable").Get(context.Background(), key); !ok || err != nil || string(v) != key {
				t.Fatalf("round %d: acknowledged key %s lost after kill -9 (%v)", round, key, err)
			}
		}
		t.Logf("round %d: %d keys acknowledged before and during the kill, all present", round, n)
		db.Close()
	}
}

// onceChild opens the database, waits for the parent's go, and races the
// other children to Once.
func onceChild(dir string) {
	db, err := store.Open(context.Background(), store.Options{Dir: dir})
	if err != nil {
		die("open: %v", err)
	}
	io.ReadAll(os.Stdin) // the parent closes stdin to start everyone at once
	ran, err := db.Once(context.Background(), "race", func(context.Context) error {
		f, err := os.OpenFile(filepath.Join(dir, "ran.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		fmt.Fprintln(f, os.Getpid())
		f.Close()
		time.Sleep(200 * time.Millisecond) // widen the window for a second runner
		return nil
	})
	if err != nil {
		die("once: %v", err)
	}
	db.Close()
	fmt.Printf("ran=%v\n", ran)
	os.Exit(0)
}

func TestOnceAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := filepath.Join(t.TempDir(), "data")
	const procs = 4
	var cmds []*exec.Cmd
	var stdins []io.WriteCloser
	outs := make([]bytes.Buffer, procs)
	errs := make([]bytes.Buffer, procs)
	for i := range procs {
		cmd := child(t, "once", dir)
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, stdins = append(cmds, cmd), append(stdins, in)
	}
	for _, in := range stdins {
		in.Close()
	}
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("child %d: %v: %s", i, err, errs[i].String())
			}
		}()
	}
	wg.Wait()
	ran := 0
	for i := range outs {
		switch strings.TrimSpace(outs[i].String()) {
		case "ran=true":
			ran++
		case "ran=false":
		default:
			t.Errorf("child %d printed %q", i, outs[i].String())
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "ran.log"))
	if lines := strings.Count(string(log), "\n"); ran != 1 || lines != 1 {
		t.Fatalf("%d processes reported running fn and fn ran %d times; want exactly once", ran, lines)
	}
}
