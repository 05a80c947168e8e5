package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"aula/bench/loadgen"
)

// child is a server process under measurement.
type child struct {
	cmd    *exec.Cmd
	addr   string // 127.0.0.1:port
	path   string // where bodies are posted
	exited chan struct{}
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM and waits (killing it after 40 s: aula's grace is 30 s).
func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(40 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
}

func buildAula(dir string) (string, error) {
	bin := filepath.Join(dir, "aula")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/aula")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building aula (run from the repository root, or pass -aula): %w", err)
	}
	return bin, nil
}

// startAula runs `aula serve` with default settings on a free port.
func startAula(bin, tmp string) (*child, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--config", "", "--data-dir", filepath.Join(tmp, "data"),
		"--listen", addr, "--xs-listen", "", "--activation-listen", "", "--log-level", "error")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AULA_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, addr: addr, path: "/RPC2", exited: make(chan struct{})}
	go func() { cmd.Wait(); close(c.exited) }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-c.exited:
			return nil, errors.New("aula serve exited at start")
		default:
		}
		if resp, err := http.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
	}
	c.stop()
	return nil, errors.New("aula serve did not come up within 30 s")
}

// startReference re-executes this program as the bare net/http server.
func startReference() (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-ref-server")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, path: "/", exited: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() { io.Copy(io.Discard, out); cmd.Wait(); close(c.exited) }()
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("reference server: %w", err)
	}
	c.addr = strings.TrimSpace(line)
	return c, nil
}

// serveReference is the child side of startReference: it serves until
// SIGTERM.
func serveReference() {
	loadgen.RaiseFileLimit()
	ref, err := loadgen.BareHTTP()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ref.Addr)
	sig := make(chan os.Signal, 1)
	signalNotify(sig)
	<-sig
	ref.Stop()
}

// memory reads a process's VmHWM (peak resident set) and VmRSS, in bytes.
func memory(pid int) (hwm, rss int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, ln := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(ln, ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %q", k, v)
		}
		if k == "VmHWM" {
			hwm = n << 10
		} else {
			rss = n << 10
		}
	}
	return hwm, rss, nil
}
