// Package wol sends Wake-on-LAN magic packets (OpenGnsys's Arrancar, spec
// lab-agents.md §4): six 0xFF bytes, then the MAC sixteen times, 102
// bytes in one UDP datagram, by default to port 9 of a broadcast address.
package wol

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// Port is where OpenGnsys sends magic packets (the discard port).
const Port = 9

// PacketSize is the length of a magic packet.
const PacketSize = 6 + 16*6

// MagicPacket is the magic packet that wakes the card with this MAC.
func MagicPacket(mac net.HardwareAddr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("MAC %q: want six bytes", mac.String())
	}
	p := make([]byte, 0, PacketSize)
	for range 6 {
		p = append(p, 0xFF)
	}
	for range 16 {
		p = append(p, mac...)
	}
	return p, nil
}

// DirectedBroadcast is the broadcast address of ip's IPv4 network of
// prefix bits (10.0.3.7/24 → 10.0.3.255). An address that is not IPv4
// gives the limited broadcast, 255.255.255.255.
func DirectedBroadcast(ip netip.Addr, bits int) netip.Addr {
	if !ip.Is4() && !ip.Is4In6() || bits < 0 || bits > 32 {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	a := ip.Unmap().As4()
	host := uint32(0xFFFFFFFF) >> bits
	if bits == 32 {
		host = 0
	}
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Send sends mac's magic packet to addr (HOST:PORT). The socket may
// broadcast (SO_BROADCAST), as waking a powered-off computer needs: it
// has no address the network can route to.
func Send(ctx context.Context, addr string, mac net.HardwareAddr) error {
	p, err := MagicPacket(mac)
	if err != nil {
		return err
	}
	lc := net.ListenConfig{Control: allowBroadcast}
	pc, err := lc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		return fmt.Errorf("wake-on-LAN socket: %w", err)
	}
	defer pc.Close()
	to, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return fmt.Errorf("wake-on-LAN target %q: %w", addr, err)
	}
	if n, err := pc.WriteTo(p, to); err != nil || n != len(p) {
		if err == nil {
			err = fmt.Errorf("short write (%d of %d bytes)", n, len(p))
		}
		return fmt.Errorf("wake-on-LAN to %s: %w", addr, err)
	}
	return nil
}

func allowBroadcast(network, address string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) { serr = setBroadcast(fd) }); err != nil {
		return err
	}
	return serr
}
