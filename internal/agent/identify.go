package agent

import (
	"bufio"
	"net"
	"os"
	"runtime"
	"strings"

	"aula/internal/server"
)

// identity is what the agent announces.
type identity struct {
	Hostname, MACs, IPs, OS, Version string
}

func identify() identity {
	id := identity{Version: server.Version}
	id.Hostname, _ = os.Hostname()
	var macs, ips []string
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		if len(ifc.HardwareAddr) == 6 {
			macs = append(macs, ifc.HardwareAddr.String())
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.IsGlobalUnicast() {
				ips = append(ips, ipn.IP.String())
			}
		}
	}
	id.MACs, id.IPs = strings.Join(macs, ";"), strings.Join(ips, ";")
	id.OS = runtime.GOOS + " " + osRelease()
	return id
}

// osRelease is PRETTY_NAME from /etc/os-release.
func osRelease() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func firstIP(ips string) string {
	ip, _, _ := strings.Cut(ips, ";")
	return ip
}

// readTrim reads a small /proc or /sys file ("" if unreadable).
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
