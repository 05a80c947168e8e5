// Command aula is the school and lab server kit: one binary for the server,
// its admin commands and the lab agent.
package main

import (
	"os"

	"aula/internal/cli"

	// The front-end set: a protocol is served when its package is imported.
	_ "aula/internal/frontend/activationfront"
	_ "aula/internal/frontend/chatfront"
	_ "aula/internal/frontend/httpfront"
	_ "aula/internal/frontend/labfront"
	_ "aula/internal/frontend/sshfront"

	// The module set: a module is in the binary when it is imported here.
	_ "aula/modules/activation"
	_ "aula/modules/auth"
	_ "aula/modules/backup"
	_ "aula/modules/console"
	_ "aula/modules/datastore"
	_ "aula/modules/echo"
	_ "aula/modules/id"
	_ "aula/modules/lab"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
