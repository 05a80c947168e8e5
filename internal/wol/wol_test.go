package wol

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

// The packet goes to a listener on 127.0.0.1 (never a broadcast address
// in tests) and arrives as 6×0xFF then 16× the MAC.
func TestSendMagicPacket(t *testing.T) {
	ln, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mac, _ := net.ParseMAC("00:11:22:aa:bb:cc")
	if err := Send(context.Background(), ln.LocalAddr().String(), mac); err != nil {
		t.Fatal(err)
	}
	ln.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 1024)
	n, _, err := ln.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Repeat([]byte{0xFF}, 6), bytes.Repeat([]byte{0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc}, 16)...)
	if n != PacketSize || !bytes.Equal(buf[:n], want) {
		t.Fatalf("got %d bytes % x", n, buf[:n])
	}
}

func TestMagicPacketRefusesOtherLengths(t *testing.T) {
	if _, err := MagicPacket(net.HardwareAddr{1, 2, 3}); err == nil {
		t.Fatal("a 3-byte MAC accepted")
	}
	if err := Send(context.Background(), "127.0.0.1:9", net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}); err == nil {
		t.Fatal("an 8-byte address sent")
	}
}

func TestDirectedBroadcast(t *testing.T) {
	for _, c := range []struct {
		ip   string
		bits int
		want string
	}{
		{"10.0.3.7", 24, "10.0.3.255"},
		{"10.0.3.7", 16, "10.0.255.255"},
		{"192.168.1.130", 25, "192.168.1.255"},
		{"192.168.1.100", 25, "192.168.1.127"},
		{"10.0.3.7", 32, "10.0.3.7"},
		{"10.0.3.7", 0, "255.255.255.255"},
		{"fe80::1", 64, "255.255.255.255"},
	} {
		if got := DirectedBroadcast(netip.MustParseAddr(c.ip), c.bits); got.String() != c.want {
			t.Errorf("%s/%d: %s, want %s", c.ip, c.bits, got, c.want)
		}
	}
}
