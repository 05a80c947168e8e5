// Package sshfront is aula's own SSH endpoint for Journal backups: a front
// end (--backup-ssh-listen) that lets unmodified OLPC ds-backup clients in.
//
// ds-backup logs in as the laptop's serial (`ssh -l SERIAL -i owner.key`),
// usually with a DSA key, and runs rsync against paths in "its" home. The
// system sshd can serve that only with one system account per laptop, and
// OpenSSH 10 (Debian 13) no longer accepts DSA keys at all. This endpoint
// takes any registered serial as login name, checks the offered key against
// the one that laptop registered (ssh-dss included, with the older key
// exchanges, ciphers and MACs those clients offer), never opens a shell or
// a port forward, and hands the session's one command to the backup module,
// which runs it exactly as the `aula backup-gate` forced command does: only
// the real `rsync --server`, mapped into that laptop's directory, as the
// account aula serve runs as.
//
// The front end knows nothing of modules: it finds a Backend (this
// package's interface) among the loaded modules by type assertion; the
// backup module implements it.
package sshfront
