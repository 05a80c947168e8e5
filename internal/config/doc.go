// Package config is aula's layered configuration: modules declare typed
// options with defaults and help, and one Load fills them from every source.
//
// # Sources
//
// Later sources win:
//
//	built-in defaults < /etc/aula.conf < ~/.config/aula/config < AULA_* environment < flags
//
// Each config file is its own layer. `--config PATH` (repeatable, or a
// colon-separated list) replaces both default files; so does AULA_CONFIG when
// no --config flag is given. Files named by --config or AULA_CONFIG must exist;
// the two default files may be missing. `--config ""` reads no file at all.
// Every file is limited to MaxFileSize bytes.
//
// # File format
//
// INI, as sugar-server used it:
//
//	# comment            ; comment too (only at the start of a line)
//	listen = :8000       top-level keys, before any [section], are full option names
//	[backup]
//	max-concurrent = 4   inside [backup] this is --backup-max-concurrent
//	max-concurrent: 4    ":" works as well as "="
//
// Keys and section names are case-insensitive. Values are trimmed; there are
// no inline comments (`a = b # c` sets a to "b # c"). A value written as a
// Go-quoted string ("  spaces kept\n") is unquoted, which is how Write keeps
// leading spaces and control characters. A scalar option set twice in one file
// is an error. A section may be declared with aliases (Section.Alias): with
// Section("id").Alias("client"), [client] jabber-server is --id-jabber-server,
// and Set.Alias("main") makes [main] mean the top level.
//
// A free-form section (Section.Map) collects any `key = value` lines into a
// map[string]string; its keys keep their case and are not unknown options.
//
// # Lists and maps
//
// A list option appends within one layer (repeated lines or flags) and a
// higher layer replaces the whole list of a lower one. An empty value
// (`tag =`, `--tag=`, AULA_TAG=) resets the list to empty in that layer; in a
// file `tag = ""` adds one empty element instead. Maps behave the same: in a
// file the [section] header alone makes an empty map in that layer; the flag
// form is `--id-config key=value`, and `--id-config=` resets.
//
// # Environment
//
// AULA_BACKUP_MAX_CONCURRENT=4 sets --backup-max-concurrent: strip AULA_,
// lower-case, underscores become dashes. A list or map value is
// comma-separated ("a,b" or "k=v,k2=v2"), elements trimmed, empty ones
// dropped; use a file or flags for elements containing commas. An AULA_*
// variable that names no option is an error, so that a typo is not silently
// ignored; the exceptions are AULA_CONFIG, names starting with AULA_TEST_
// (test harness knobs) and what Set.AllowEnv adds.
//
// # Flags
//
// --name=value, --name value, and for booleans --name or --name=false.
// Flags and positional arguments may be interleaved; "--" ends the flags.
// A single-dash word such as -debug is an error (options take two dashes);
// "-" and "-5" are positional. -h, -help and --help make Load return ErrHelp.
//
// # Values
//
// Booleans: true/false, yes/no, on/off, 1/0. Durations: Go syntax (90s,
// 1h30m) or a bare integer meaning seconds, as sugar-server's options were.
// Integers are decimal. Choices and Validate reject bad values at the line,
// variable or flag that set them; a Validate func sees only set values,
// never the default, and must not call Get (use Set.Check for rules across
// options).
//
// # Errors
//
// Load reports every problem it finds, joined, each naming its place:
//
//	/etc/aula.conf:12: unknown option "max-concurent" in [backup] (did you mean "max-concurrent"?)
//	env AULA_BACKUP_MAX_CONCURRENT: bad value "x" for --backup-max-concurrent: not an integer
//	flag --backup-max-concurrent: bad value "x": not an integer
//
// Values of secret options are never echoed in errors.
//
// # Write
//
// Write prints the effective configuration as a loadable file: each option
// with its help as a comment; options still at their default as commented
// "# name = default" lines; set options as live lines preceded by their
// default and origin. A set secret option is printed only as a comment saying
// where it was set, so a saved file never holds the secret and loading it back
// gives every other option the same value.
package config
