package idlepoll

import (
	"net"
	"syscall"
)

// RawConn finds the socket under c's wrappers (TLS, limits: anything with
// a NetConn method). ErrUnsupported means c is not a socket.
func RawConn(c net.Conn) (syscall.RawConn, error) {
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, ErrUnsupported
	}
	return sc.SyscallConn()
}
