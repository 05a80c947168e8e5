//go:build unix

package labfront

import (
	"net"
	"syscall"

	"aula/internal/idlepoll"
)

// waitReadable blocks until c's socket has a byte to read, an end or an
// error (or c's read deadline passes, or c is closed), without reading:
// it peeks. Connections that are not sockets (a wrapper that hides its
// socket) return at once, and the caller then blocks in a read as usual.
func waitReadable(c net.Conn) error {
	raw, err := idlepoll.RawConn(c)
	if err != nil {
		return nil
	}
	var one [1]byte
	return raw.Read(func(fd uintptr) bool {
		for {
			_, _, err := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EINTR {
				continue
			}
			// Data, the end of the stream (0 bytes) or an error: the
			// read that follows reports it. EAGAIN: wait for the poller.
			return err != syscall.EAGAIN
		}
	})
}
