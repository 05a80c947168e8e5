package id

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"aula/internal/core"
)

// exportColumns is the CSV header, the Client fields in JSON names.
var exportColumns = []string{"uid", "uuid", "serial", "nickname", "pubkey", "first_registered", "last_registered", "last_addr", "registrations"}

func runExport(ctx context.Context, cx *core.CmdContext, args []string) error {
	format := "csv"
	rest, err := flags("client export", args, func(fs *flag.FlagSet) { fs.StringVar(&format, "format", "csv", "csv or json") })
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (usage: aula client export [--format csv|json])", rest[0])
	}
	if format != "csv" && format != "json" {
		return fmt.Errorf("--format %q: want csv or json", format)
	}
	var cs []Client
	if err := cx.Call(ctx, "id.list", nil, &cs); err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(cx.Stdout, nonNil(cs))
	}
	return writeCSV(cx.Stdout, cs)
}

// writeCSV writes clients as RFC 4180 CSV with a header line. Text a
// client chose (the nickname) that a spreadsheet would run as a formula
// is prefixed with a single quote.
func writeCSV(w io.Writer, cs []Client) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return err
	}
	for _, c := range cs {
		rec := []string{c.UID, c.UUID, c.Serial, defuseFormula(c.Nickname), c.PubKey,
			c.FirstRegistered.UTC().Format(time.RFC3339), c.LastRegistered.UTC().Format(time.RFC3339),
			c.LastAddr, strconv.FormatInt(c.Registrations, 10)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func defuseFormula(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
