package auth

import (
	"aula/internal/core"
)

// plainArgs is auditArgs for the common call, every audited registration
// among them: positional string arguments, no more of them than the
// method names, names distinct and none secret, every name and value
// printable ASCII that JSON writes as is. For such a call
// encoding/json's output is known without building two maps and sorting
// their keys by reflection: `{"name":"value",...}` with the names in
// byte order. ok is false for any other call, which auditArgs then
// renders the general way; TestPlainArgsMatchesJSON and
// FuzzPlainArgs hold the two to the same bytes.
func plainArgs(meth *core.Method, c *core.Call) (_ string, ok bool) {
	const most = 8 // the sort below is quadratic
	if c.Named != nil || len(meth.Params) == 0 || len(c.Args) > len(meth.Params) || len(c.Args) > most {
		return "", false
	}
	var order [most]int // indexes of c.Args, by parameter name
	size := 2
	for i, a := range c.Args {
		v, isString := a.(string)
		name := meth.Params[i].Name
		if !isString || !plainJSON(v) || !plainJSON(name) || isSecretName(meth, name) {
			return "", false
		}
		j := i
		for ; j > 0 && meth.Params[order[j-1]].Name >= name; j-- {
			if meth.Params[order[j-1]].Name == name {
				return "", false // a map would keep only one
			}
			order[j] = order[j-1]
		}
		order[j] = i
		size += len(name) + len(v) + 6
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for k, i := range order[:len(c.Args)] {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, meth.Params[i].Name...)
		b = append(b, `":"`...)
		b = append(b, c.Args[i].(string)...)
		b = append(b, '"')
	}
	b = append(b, '}')
	return clip(string(b), maxAuditArgs), true
}

// plainJSON reports whether encoding/json writes s between its quotes
// unchanged: printable ASCII without '"', '\\' and the HTML characters
// it escapes ('<', '>', '&').
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b < 0x20 || b > 0x7e, b == '"', b == '\\', b == '<', b == '>', b == '&':
			return false
		}
	}
	return true
}
