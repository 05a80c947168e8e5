package activation

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"aula/internal/core"
	"aula/internal/lease"
)

// Pieces a file is sent in: comfortably under the REST body limit (1 MiB)
// when the CLI talks to a server.
const (
	chunkLines = 1000
	chunkBytes = 512 << 10
)

// importTotals adds up what the calls for one command did.
type importTotals struct {
	imported, duplicates, unverified, problems int
}

// sendFile parses a lease or delegation file here, reports the lines that
// do not parse, and sends the others to method in pieces (the server parses
// and checks them again: it trusts no client).
func sendFile(ctx context.Context, cx *core.CmdContext, method, path string, extra map[string]any, tot *importTotals) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(f, lease.MaxFileSize+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > lease.MaxFileSize {
		return fmt.Errorf("%s: larger than %d bytes", path, lease.MaxFileSize)
	}
	file, perr := lease.ReadLeaseFile(b)
	if file == nil {
		return fmt.Errorf("%s: %v", path, perr)
	}
	var le *lease.LineError
	for _, e := range unjoin(perr) {
		tot.problems++
		if errors.As(e, &le) {
			fmt.Fprintf(cx.Stderr, "%s:%d: %v\n", path, le.LineNo, le.Err)
		} else {
			fmt.Fprintf(cx.Stderr, "%s: %v\n", path, e)
		}
	}
	entries := file.Entries
	for len(entries) > 0 {
		var lines []any
		var nos []any
		size := 0
		for len(entries) > 0 && len(lines) < chunkLines && size < chunkBytes {
			text := entries[0].Line.String()
			lines, nos = append(lines, text), append(nos, entries[0].LineNo)
			size += len(text)
			entries = entries[1:]
		}
		args := map[string]any{"source": path, "lines": lines, "line_nos": nos}
		for k, v := range extra {
			args[k] = v
		}
		var r ImportReply
		if err := cx.Call(ctx, method, args, &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		tot.imported += r.Imported
		tot.duplicates += r.Duplicates
		tot.unverified += r.Unverified
		tot.problems += len(r.Problems) + r.More
		for _, p := range r.Problems {
			where := fmt.Sprintf("%s:%d", p.Source, p.Line)
			if p.Serial != "" {
				where += ": " + p.Serial
			}
			fmt.Fprintf(cx.Stderr, "%s: %s\n", where, p.Error)
		}
		if r.More > 0 {
			fmt.Fprintf(cx.Stderr, "%s: %d more problems not shown\n", path, r.More)
		}
	}
	return nil
}

func runImport(ctx context.Context, cx *core.CmdContext, args []string) error {
	files, err := parseFlags("lease import", args, nil)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no FILE given (usage: aula lease import FILE...)")
	}
	var tot importTotals
	for _, path := range files {
		if err := sendFile(ctx, cx, "activation.import_leases", path, nil, &tot); err != nil {
			return err
		}
	}
	fmt.Fprintf(cx.Stdout, "%d lease line(s) imported, %d already present, %d stored unverified (no trusted key or unknown UUID), %d rejected\n",
		tot.imported, tot.duplicates, tot.unverified, tot.problems)
	if tot.problems > 0 {
		return fmt.Errorf("%d line(s) rejected (the good ones were imported)", tot.problems)
	}
	return nil
}

func runImportDelegation(ctx context.Context, cx *core.CmdContext, args []string) error {
	var serial string
	files, err := parseFlags("keyring import-delegation", args, func(fs *flag.FlagSet) {
		fs.StringVar(&serial, "serial", "", "the laptop of bare sig02: delegation lines")
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no FILE given (usage: aula keyring import-delegation [--serial SN] FILE...)")
	}
	var extra map[string]any
	if serial != "" {
		extra = map[string]any{"serial": serial}
	}
	var tot importTotals
	for _, path := range files {
		if err := sendFile(ctx, cx, "activation.import_delegations", path, extra, &tot); err != nil {
			return err
		}
	}
	fmt.Fprintf(cx.Stdout, "%d delegation(s) imported, %d not newer than the one held, %d rejected\n",
		tot.imported, tot.duplicates, tot.problems)
	if tot.problems > 0 {
		return fmt.Errorf("%d line(s) rejected (the good ones were imported)", tot.problems)
	}
	return nil
}

func runExport(ctx context.Context, cx *core.CmdContext, args []string) error {
	var serials core.Strings
	format, out := "lines", ""
	rest, err := parseFlags("lease export", args, func(fs *flag.FlagSet) {
		fs.Var(&serials, "serial", "export this laptop's leases (repeatable)")
		fs.StringVar(&format, "format", "lines", "lines or cjson")
		fs.StringVar(&out, "out", "", "write to this file instead of standard output")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (usage: aula lease export %s)", rest[0], usageOf("lease export"))
	}
	var r ExportReply
	if err := cx.Call(ctx, "activation.export_leases", map[string]any{"serials": anySlice(serials), "format": format}, &r); err != nil {
		return err
	}
	w := cx.Stdout
	if out != "" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if _, err := io.WriteString(w, r.Content); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && out != "" {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	fmt.Fprintf(cx.Stderr, "exported %d lease line(s) for %d laptop(s)\n", r.Lines, r.Laptops)
	if len(r.Stolen) > 0 {
		fmt.Fprintf(cx.Stderr, "left out (marked stolen): %v\n", r.Stolen)
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(cx.Stderr, "no current lease: %v\n", r.Missing)
	}
	return nil
}

func runKeyringInit(ctx context.Context, cx *core.CmdContext, args []string) error {
	if rest, err := parseFlags("keyring init", args, nil); err != nil || len(rest) > 0 {
		return noArgs("keyring init", rest, err)
	}
	var k KeyInfo
	if err := cx.Call(ctx, "activation.keyring_init", nil, &k); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "server key created:\n  private: %s\n  public:  %s\n  keyid:   %s\n", k.PrivateFile, k.PublicFile, k.KeyID)
	fmt.Fprintf(cx.Stdout, "Send the public file (or the key01 line of `aula keyring show`) to OLPC for delegations.\n")
	return nil
}

func runKeyringShow(ctx context.Context, cx *core.CmdContext, args []string) error {
	if rest, err := parseFlags("keyring show", args, nil); err != nil || len(rest) > 0 {
		return noArgs("keyring show", rest, err)
	}
	var k KeyInfo
	if err := cx.Call(ctx, "activation.keyring_show", nil, &k); err != nil {
		return err
	}
	fmt.Fprint(cx.Stdout, k.Key01)
	fmt.Fprintf(cx.Stdout, "keyid: %s\npublic: %s\n", k.KeyID, k.PublicFile)
	return nil
}

// noArgs reports a flag error or unexpected arguments of a command that
// takes none.
func noArgs(name string, rest []string, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("unexpected argument %q (usage: aula %s)", rest[0], name)
}
