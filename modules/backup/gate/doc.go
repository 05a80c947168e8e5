// Package gate is the forced command behind aula's backup SSH account.
//
// Every registered client's key in that account's authorized_keys runs
// `<aula> backup-gate --uid <uid>`; sshd puts what the client asked for in
// SSH_ORIGINAL_COMMAND. That is an rsync server command line, written by
// the client's rsync as `rsync --server [--sender] <options> . <paths>`.
// The gate splits it without a shell, accepts only rsync options from an
// allowlist, maps the client's paths into the client's own directory
// (layout in package snapshot) and runs /usr/bin/rsync with an argv it built
// itself, never through a shell.
//
// The client's view (its "virtual root"; relative paths, "~/" and absolute
// paths under Config.VirtualRoot all mean the same place):
//
//	backup  (rsync src/ host:P)       P          -> <root>/<uid>/current/P
//	                                  <uid>/P    -> <root>/<uid>/current/P (own uid: backupurl)
//	                                  backup/P   -> <root>/<uid>/current/P (SERIAL@HOST:backup)
//	restore (rsync host:P local/)     P          -> <root>/<uid>/current/P
//	                                  @latest/P  -> <root>/<uid>/snapshots/<newest>/P
//	                                  @<name>/P  -> <root>/<uid>/snapshots/<name>/P
//	ds-backup marker (backup only)    /var/lib/ds-backup/completion/<SN>
//	                                             -> <root>/<uid>/completion/<SN>  (Plan.Completion)
//
// "." (or "~", or the virtual root itself) is current's contents, and "@<name>"
// alone is the snapshot's contents, as if written "@<name>/".
// Snapshots are read only to clients: they can only be a restore source.
// Top-level names starting with "@" are refused for backups, so the two
// namespaces never overlap.
//
// Use Run (not Exec) when something must happen after the transfer under
// the client's lock, such as snapshot.Take after a ds-backup completion
// marker (Plan.Completion).
package gate
