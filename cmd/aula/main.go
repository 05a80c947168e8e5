// Command aula is the school and lab server kit: one binary for the server,
// its admin commands and the lab agent.
package main

import (
	"os"

	"aula/internal/cli"

	// The module set: a module is in the binary when it is imported here.
	_ "aula/modules/activation"
	_ "aula/modules/auth"
	_ "aula/modules/backup"
	_ "aula/modules/datastore"
	_ "aula/modules/echo"
	_ "aula/modules/id"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
