package cluster

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// choose picks the node an invocation of the version key, needing
// memoryMB, is forwarded to: among the other nodes seen alive, one with an
// idle environment of the version (the most idle ones first), else the one
// with the most free memory that can hold the environment. It reports
// false when no node fits.
func choose(members []Member, self, key string, memoryMB int, now time.Time) (string, bool) {
	best, bestIdle, bestFree := "", 0, -1
	for _, m := range members {
		if m.Name == self || now.Sub(m.Seen) > leaseTTL {
			continue
		}
		idle := m.Idle[key]
		if idle == 0 && m.FreeMB < memoryMB {
			continue
		}
		better := idle > bestIdle || (idle == bestIdle && m.FreeMB > bestFree) ||
			(idle == bestIdle && m.FreeMB == bestFree && m.Name < best)
		if best == "" || better {
			best, bestIdle, bestFree = m.Name, idle, m.FreeMB
		}
	}
	return best, best != ""
}

// sortedNames returns the names of the members seen alive, in order.
func sortedNames(members []Member, now time.Time) []string {
	var out []string
	for _, m := range members {
		if now.Sub(m.Seen) <= leaseTTL {
			out = append(out, m.Name)
		}
	}
	sort.Strings(out)
	return out
}

// DefaultNodeMemory is a node's capacity when --node-memory is not set:
// 80% of the machine's memory, in MB (0 when it cannot be read).
func DefaultNodeMemory() int {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				return 0
			}
			return kb / 1024 * 8 / 10
		}
	}
	return 0
}
