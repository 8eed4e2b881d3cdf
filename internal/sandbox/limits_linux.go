package sandbox

import (
	"fmt"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// An isolated start splits what (*cgroup).apply sets: presetLimits sets
// the limits of a function of Lambda's default memory size when an init
// is spawned, off the cold path; limitMemory changes the memory limit on
// the cold path, before the init hears of its environment, when the
// function has another size. Together they hold from the bootstrap's
// first instruction; the CPU share follows once it runs (applyCPU), as
// with apply.

// presetMemory is the memory limit an init's cgroup is spawned with:
// Lambda's default function size, 128 MB.
const presetMemory = 128 << 20

// presetLimits sets the limits of a function of presetMemory: the pids
// limit, no swap, (v2) killing the whole group on an OOM, and the memory
// limit.
func (cg *cgroup) presetLimits() error {
	pids := strconv.Itoa(pidsLimit)
	if cg.fs.v2 {
		d := cg.dirs[""]
		if err := writeRawAll([][2]string{{d + "/memory.swap.max", "0"}, {d + "/memory.oom.group", "1"}, {d + "/pids.max", pids}}); err != nil {
			return err
		}
	} else {
		files := [][2]string{{cg.dirs["pids"] + "/pids.max", pids}}
		if !cg.fs.memsw {
			files = append(files, [2]string{cg.dirs["memory"] + "/memory.swappiness", "0"})
		}
		if err := writeRawAll(files); err != nil {
			return err
		}
	}
	return cg.limitMemory(-1, presetMemory) // from unlimited
}

// limitMemory changes the memory limit from (-1: unlimited) to bytes. On
// v1 with swap accounting, memory and swap together get the same limit,
// which may never be below the memory limit: it is raised first and
// lowered last.
func (cg *cgroup) limitMemory(from, bytes int64) error {
	if from == bytes {
		return nil
	}
	mem := strconv.FormatInt(bytes, 10)
	if cg.fs.v2 {
		return writeRawAll([][2]string{{cg.dirs[""] + "/memory.max", mem}})
	}
	files := [][2]string{{cg.dirs["memory"] + "/memory.limit_in_bytes", mem}}
	if cg.fs.memsw {
		sw := [2]string{cg.dirs["memory"] + "/memory.memsw.limit_in_bytes", mem}
		if from >= 0 && bytes > from {
			files = [][2]string{sw, files[0]}
		} else {
			files = append(files, sw)
		}
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
