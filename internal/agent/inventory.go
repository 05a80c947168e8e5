package agent

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"aula/internal/wire/labxml"
)

// hardware is InventarioHardware: nemonico=description lines from /proc
// and /sys, in a stable order so that inventories diff cleanly.
func hardware() result {
	var lines []string
	add := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			lines = append(lines, k+"="+strings.ReplaceAll(v, "\n", " "))
		}
	}
	models, cpus := cpuInfo()
	for _, m := range models {
		add("cpu", m)
	}
	add("cpus", strconv.Itoa(cpus))
	add("mem", memTotal())
	blocks, _ := os.ReadDir("/sys/block")
	for _, b := range blocks {
		name := b.Name()
		if strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		dir := filepath.Join("/sys/block", name)
		add("disk", fmt.Sprintf("%s %s %s", name, sectors(filepath.Join(dir, "size")), readTrim(filepath.Join(dir, "device/model"))))
		parts, _ := os.ReadDir(dir)
		for _, p := range parts {
			if strings.HasPrefix(p.Name(), name) {
				add("part", fmt.Sprintf("%s %s", p.Name(), sectors(filepath.Join(dir, p.Name(), "size"))))
			}
		}
	}
	nics, _ := os.ReadDir("/sys/class/net")
	for _, n := range nics {
		dir := filepath.Join("/sys/class/net", n.Name())
		if readTrim(filepath.Join(dir, "type")) != "1" || n.Name() == "lo" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "device")); err != nil {
			continue // virtual (bridges, veth): not hardware
		}
		speed := readTrim(filepath.Join(dir, "speed"))
		if speed == "" || strings.HasPrefix(speed, "-") {
			speed = "" // unknown (down, or virtual)
		} else {
			speed += "Mb/s"
		}
		add("nic", strings.TrimSpace(n.Name()+" "+readTrim(filepath.Join(dir, "address"))+" "+speed))
	}
	for _, f := range []string{"sys_vendor", "product_name", "product_version", "board_vendor", "board_name", "bios_vendor", "bios_version", "bios_date"} {
		add("dmi."+f, readTrim(filepath.Join("/sys/class/dmi/id", f)))
	}
	return result{ok: true, params: []labxml.Param{{Name: "hrd", Value: strings.Join(lines, "\n")}}}
}

// cpuInfo lists the distinct CPU models (with their count) and the count.
func cpuInfo() ([]string, int) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return nil, 0
	}
	defer f.Close()
	count := map[string]int{}
	n := 0 // "processor" lines: some architectures have no "model name"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		switch k = strings.TrimSpace(k); {
		case ok && k == "model name":
			count[strings.TrimSpace(v)]++
		case ok && k == "processor":
			n++
		}
	}
	var out []string
	for m, c := range count {
		out = append(out, fmt.Sprintf("%s x%d", m, c))
	}
	sort.Strings(out)
	return out, n
}

func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// sectors turns a /sys size (512-byte sectors) into bytes.
func sectors(path string) string {
	n, err := strconv.ParseInt(readTrim(path), 10, 64)
	if err != nil {
		return "?"
	}
	return strconv.FormatInt(n*512, 10) + "B"
}

// software is InventarioSoftware: one package=version per line, from
// dpkg-query or else rpm.
func software(ctx context.Context) result {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, c := range [][]string{
		{"dpkg-query", "-W", "-f", "${Package}=${Version}\n"},
		{"rpm", "-qa", "--qf", "%{NAME}=%{VERSION}-%{RELEASE}\n"},
	} {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		out, err := exec.CommandContext(ctx, c[0], c[1:]...).Output()
		if err != nil {
			return result{text: c[0] + ": " + err.Error()}
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		sort.Strings(lines)
		return result{ok: true, params: []labxml.Param{{Name: "sft", Value: strings.Join(lines, "\n")}}}
	}
	return result{text: "no package manager found (dpkg-query or rpm)"}
}
