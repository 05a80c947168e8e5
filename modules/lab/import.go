package lab

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"aula/internal/core"
)

// maxImport bounds an import file.
const maxImport = 8 << 20

// ImportArgs is a CSV text: name,mac,ip,lab[,group] per line; a first line
// starting with "name" is a header.
type ImportArgs struct {
	CSV string `json:"csv"`
}

// ImportReply says how many computers were added.
type ImportReply struct {
	Added int `json:"added"`
}

func (m *Module) computerImportMethod() core.Method {
	me := core.Func("computerImport", "Adds the computers of a CSV text (name,mac,ip,lab[,group]); any bad line and nothing is added.", func(ctx context.Context, in ImportArgs) (ImportReply, error) {
		cs, lines, err := parseImport(in.CSV)
		if err != nil {
			return ImportReply{}, err
		}
		err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return m.addComputers(ctx, tx, cs, func(i int) string { return fmt.Sprintf("line %d: ", lines[i]) })
		})
		if err != nil {
			return ImportReply{}, kindError(err, "importing computers")
		}
		return ImportReply{Added: len(cs)}, nil
	})
	me.Mutates = true
	return me
}

// parseImport reads every line first, so that a bad line stores nothing;
// the error lists every bad line (up to 20).
func parseImport(text string) ([]Computer, []int, error) {
	if len(text) > maxImport {
		return nil, nil, core.Errorf(core.KindInvalid, "import of %d bytes: at most %d", len(text), maxImport)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	var cs []Computer
	var lines []int
	var bad []string
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			bad = append(bad, fmt.Sprintf("line %d: %v", line, err))
			break
		}
		if len(cs) == 0 && len(bad) == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "name") {
			continue
		}
		if len(rec) < 4 || len(rec) > 5 {
			bad = append(bad, fmt.Sprintf("line %d: want name,mac,ip,lab[,group], got %d fields", line, len(rec)))
			continue
		}
		in := ComputerArgs{Name: strings.TrimSpace(rec[0]), MAC: strings.TrimSpace(rec[1]), IP: strings.TrimSpace(rec[2]), Lab: strings.TrimSpace(rec[3])}
		if len(rec) == 5 {
			in.Group = strings.TrimSpace(rec[4])
		}
		c, err := in.check()
		if err != nil {
			bad = append(bad, fmt.Sprintf("line %d: %s", line, core.AsError(err).Msg))
			continue
		}
		if prev, dup := seen[c.Name]; dup {
			bad = append(bad, fmt.Sprintf("line %d: computer %q already on line %d", line, c.Name, prev))
			continue
		}
		if c.MAC != "" {
			if prev, dup := seen["mac "+c.MAC]; dup {
				bad = append(bad, fmt.Sprintf("line %d: MAC %s already on line %d", line, c.MAC, prev))
				continue
			}
			seen["mac "+c.MAC] = line
		}
		seen[c.Name] = line
		cs = append(cs, c)
		lines = append(lines, line)
	}
	if len(bad) > 0 {
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("… and %d more", len(bad)-20))
		}
		return nil, nil, core.Errorf(core.KindInvalid, "nothing imported: %s", strings.Join(bad, "; "))
	}
	if len(cs) == 0 {
		return nil, nil, core.Errorf(core.KindInvalid, "nothing to import: no computer lines")
	}
	return cs, lines, nil
}
