package console

import "aula/internal/core"

// Methods is the console module's method table.
func (m *Module) Methods() []core.Method {
	return append([]core.Method{m.startMethod(), m.chatMethod(), m.listMethod(), m.killMethod(),
		m.activateMethod(), m.groupRepoMethod()}, m.rebuildSvnMethods()...)
}
