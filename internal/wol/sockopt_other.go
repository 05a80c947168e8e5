//go:build !unix

package wol

// setBroadcast leaves the socket as it is: a directed or limited
// broadcast may then be refused by the system, and Send says so.
func setBroadcast(uintptr) error { return nil }
