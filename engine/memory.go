//go:build linux

package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// defaultMemoryLimit is DefaultMemoryShare of the memory available, as
// DuckDB writes sizes; "" (DuckDB's default) where it cannot be read.
func defaultMemoryLimit() string {
	total := physicalMemory()
	if limit := cgroupMemoryLimit(); limit > 0 && (total == 0 || limit < total) {
		total = limit
	}
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%dMiB", uint64(float64(total)*DefaultMemoryShare)>>20)
}

func physicalMemory() uint64 {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0
	}
	return uint64(info.Totalram) * uint64(info.Unit)
}

// cgroupMemoryLimit reads a cgroup v2 (or v1) memory limit; 0 if none.
func cgroupMemoryLimit() uint64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64); err == nil && n < 1<<60 {
			return n
		}
	}
	return 0
}
