package labxml

// Element names of the two message kinds.
const (
	Command  = "COMANDO"
	Response = "RESPUESTA"
)

// Result values of a RESPUESTA (seed: 1 success, 0 failure).
const (
	Failure = 0
	Success = 1
)

// Param is one <PARAM nombre valor/> child.
type Param struct {
	Name, Value string
}

// Message is one COMANDO or RESPUESTA. Fields that do not belong to the
// kind are left zero and not written.
type Message struct {
	Kind   string // Command or Response
	Code   int    // codigo
	Action int64  // accion: the action row's id, 0 for session messages
	// Command only.
	Name string // nombre
	// Response only.
	Text   string // respuesta: error or result text
	Result int    // resultado: Success or Failure
	IP     string // ipaddr
	Params []Param
}

// Param returns the value of the first param called name.
func (m *Message) Param(name string) (string, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// Get is Param without the flag.
func (m *Message) Get(name string) string {
	v, _ := m.Param(name)
	return v
}

// Add appends a param.
func (m *Message) Add(name, value string) *Message {
	m.Params = append(m.Params, Param{name, value})
	return m
}

// ParamMap returns the params as a map (a later duplicate wins).
func (m *Message) ParamMap() map[string]string {
	out := make(map[string]string, len(m.Params))
	for _, p := range m.Params {
		out[p.Name] = p.Value
	}
	return out
}
