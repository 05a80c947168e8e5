package activation

import (
	"io"
	"net"
	"time"
)

// Ask does an XO laptop's exchange with an activation server: connect,
// send the request, half-close, read the reply until the server closes.
// timeout bounds the whole exchange (0: none, as on the XO, which waits
// for the server to close). Tests, benchmarks and admins checking a
// server use it, so the exchange is written down once.
func Ask(addr string, request []byte, timeout time.Duration) ([]byte, error) {
	dial := timeout
	if dial == 0 {
		dial = 3 * time.Second // the XO's connect timeout
	}
	c, err := net.DialTimeout("tcp", addr, dial)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if timeout > 0 {
		c.SetDeadline(time.Now().Add(timeout))
	}
	if _, err := c.Write(request); err != nil {
		return nil, err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return nil, err
	}
	return io.ReadAll(c)
}
