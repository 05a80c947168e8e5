package labfront

import (
	"encoding/json"
)

func statusRows(r *rig) []map[string]any {
	out := r.call("lab.status", map[string]any{"lab": "l1"})
	b, _ := json.Marshal(out)
	var rows []map[string]any
	json.Unmarshal(b, &rows)
	return rows
}

func statusStates(r *rig) []string {
	var s []string
	for _, row := range statusRows(r) {
		s = append(s, row["state"].(string))
	}
	return s
}

func statusLast(r *rig) []string {
	var s []string
	for _, row := range statusRows(r) {
		s = append(s, row["last_state"].(string))
	}
	return s
}
