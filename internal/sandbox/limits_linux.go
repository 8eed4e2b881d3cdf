package sandbox

import (
	"fmt"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// An isolated start splits what (*cgroup).apply sets: presetLimits sets
// what every environment shares when its init is spawned, off the cold
// path; limitMemory sets the function's own memory limit on the cold
// path, before the init hears of its environment. Together they hold from
// the bootstrap's first instruction; the CPU share follows once it runs
// (applyCPU), as with apply.

// presetLimits sets the limits that do not depend on the function: the
// pids limit, no swap and (v2) killing the whole group on an OOM.
func (cg *cgroup) presetLimits() error {
	pids := strconv.Itoa(pidsLimit)
	if cg.fs.v2 {
		d := cg.dirs[""]
		return writeRawAll([][2]string{{d + "/memory.swap.max", "0"}, {d + "/memory.oom.group", "1"}, {d + "/pids.max", pids}})
	}
	files := [][2]string{{cg.dirs["pids"] + "/pids.max", pids}}
	if !cg.fs.memsw {
		files = append(files, [2]string{cg.dirs["memory"] + "/memory.swappiness", "0"})
	}
	return writeRawAll(files)
}

// limitMemory sets the memory limit (v1 with swap accounting: memory and
// swap together too).
func (cg *cgroup) limitMemory(bytes int64) error {
	mem := strconv.FormatInt(bytes, 10)
	if cg.fs.v2 {
		return writeRawAll([][2]string{{cg.dirs[""] + "/memory.max", mem}})
	}
	files := [][2]string{{cg.dirs["memory"] + "/memory.limit_in_bytes", mem}}
	if cg.fs.memsw {
		files = append(files, [2]string{cg.dirs["memory"] + "/memory.memsw.limit_in_bytes", mem})
	}
	return writeRawAll(files)
}

// writeRawAll writes each value to its file with plain system calls (an
// os.File would also try to register the file with the poller).
func writeRawAll(files [][2]string) error {
	for _, f := range files {
		if err := writeRaw(f[0], f[1]); err != nil {
			return fmt.Errorf("set cgroup %s: %w", filepath.Base(f[0]), err)
		}
	}
	return nil
}

func writeRaw(path, data string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_, err = unix.Write(fd, []byte(data))
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}
