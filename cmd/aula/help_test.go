package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"aula/internal/cli"
	"aula/internal/core"
)

// TestEveryCommandHelp walks every command of this binary (the CLI's own
// and each imported module's) and asks for its help both ways: each exits
// 0 and prints its usage on stdout, and opens no data directory (the
// working directory is a fresh one, where the default ./aula-data would
// appear).
func TestEveryCommandHelp(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("HOME", t.TempDir())
	names := cli.CommandNames()
	if len(names) < 10 {
		t.Fatalf("only %d commands found: %v", len(names), names)
	}
	for _, name := range names {
		words := strings.Fields(name)
		for _, args := range [][]string{
			append(append([]string{}, words...), "--help"),
			append(append([]string{}, words...), "-h"),
			append([]string{"help"}, words...),
		} {
			var out, errOut bytes.Buffer
			code := cli.Run(context.Background(), &out, &errOut, args)
			if code != 0 || !strings.HasPrefix(out.String(), "usage: aula "+name) || len(out.String()) < len("usage: aula "+name)+10 {
				t.Errorf("aula %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out.String(), errOut.String())
			}
		}
	}
	if _, err := os.Stat("aula-data"); err == nil {
		t.Error("asking for help created a data directory")
	}
}

// TestServeHelpListsEveryOption: `aula serve --help` names every option
// aula reads, each with its default where it has one.
func TestServeHelpListsEveryOption(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := cli.Run(context.Background(), &out, &errOut, []string{"serve", "--help"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	help := out.String()
	names := cli.OptionNames()
	if len(names) < 20 {
		t.Fatalf("only %d options: %v", len(names), names)
	}
	for _, name := range names {
		if !strings.Contains(help, "  --"+name+" ") && !strings.Contains(help, "  --"+name+"\n") {
			t.Errorf("serve --help does not list --%s", name)
		}
	}
	for _, want := range []string{"--data-dir string", "--listen string", "(default \":8000\")", "--url-cert string", "--url-key string", "--max-conns int", "(default 1024)"} {
		if !strings.Contains(help, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

// repoPath matches what reads as a path inside this repository.
var repoPath = regexp.MustCompile(`\b(?:docs|scripts|shared|internal|modules|bench|integration|cmd)/[A-Za-z0-9_./-]*[A-Za-z0-9_]`)

// TestHelpCitesOnlyRepositoryFiles: the help `aula help MODULE` and
// `aula COMMAND --help` print names only files this repository has, and
// the auth module's help explains the CLI's client certificate options.
func TestHelpCitesOnlyRepositoryFiles(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, m := range core.Registered() {
		texts["aula help "+m.ID] = m.Help
	}
	for _, name := range append(cli.CommandNames(), "") {
		var out, errOut bytes.Buffer
		cli.Run(context.Background(), &out, &errOut, append(strings.Fields(name), "--help"))
		texts["aula "+name+" --help"] = out.String()
	}
	for where, text := range texts {
		for _, p := range repoPath.FindAllString(text, -1) {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("%s cites %s, which is not in the repository", where, p)
			}
		}
	}
	for _, want := range []string{"--url-cert", "--url-key", "--url-ca"} {
		if !strings.Contains(texts["aula help auth"], want) {
			t.Errorf("aula help auth does not describe %s", want)
		}
	}
}

// TestFrontEndHelp: `aula help FRONTEND` works for every front end like
// `aula help MODULE`; `aula help chat` explains configuring a magic and
// lists every --chat-* option with its default, from the declarations;
// front ends' help cites only files this repository has.
func TestFrontEndHelp(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fes := core.RegisteredFrontEnds()
	if len(fes) < 3 {
		t.Fatalf("only %d front ends", len(fes))
	}
	texts := map[string]string{}
	for _, f := range fes {
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), &out, &errOut, []string{"help", f.ID}); code != 0 || out.Len() < 40 {
			t.Errorf("aula help %s: exit %d\nstdout: %s\nstderr: %s", f.ID, code, out.String(), errOut.String())
		}
		texts[f.ID] = out.String()
		for _, p := range repoPath.FindAllString(out.String(), -1) {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("aula help %s cites %s, which is not in the repository", f.ID, p)
			}
		}
	}
	chat := texts["chat"]
	for _, name := range cli.OptionNames() {
		if strings.HasPrefix(name, "chat-") && !strings.Contains(chat, "  --"+name+" ") && !strings.Contains(chat, "  --"+name+"\n") {
			t.Errorf("aula help chat does not list --%s", name)
		}
	}
	flat := strings.Join(strings.Fields(chat), " ") // the option list is wrapped
	for _, want := range []string{"[chat-magic]", "--chat-magic-file", `(default ":2178")`, "(default 1048576)", "hmac-sha256", "aula user groups"} {
		if !strings.Contains(flat, want) {
			t.Errorf("aula help chat lacks %q", want)
		}
	}
	// A name that is a module and a front end shows both.
	if a := texts["activation"]; !strings.Contains(a, "--activation-listen") {
		t.Errorf("aula help activation lacks the front end's --activation-listen:\n%s", a)
	}
}
