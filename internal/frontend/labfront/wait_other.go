//go:build !unix

package labfront

import "net"

// waitReadable cannot wait without reading here: the caller's read blocks
// instead (holding its buffer while the agent is idle).
func waitReadable(net.Conn) error { return nil }
