package sandboxinit

import (
	"strconv"
	"strings"
)

const (
	// EnvName marks a process as an environment's init; its value is the
	// Protocol Hearth speaks.
	EnvName = "HEARTH_SANDBOX_INIT"
	// Protocol names the arguments, descriptors and Config encoding below.
	// Change it with any of them.
	Protocol = "hearth-sandbox-init/5"
	// ProbeArg, the only argument, asks the init to check the protocol
	// and exit 0.
	ProbeArg = "probe"
)

// The init's descriptors.
const (
	// ConfigFd is the init's end of the Unix stream socket that carries
	// the Config and, as SCM_RIGHTS, the mount trees it names.
	ConfigFd = 3
	// StatusFd is the write end of the status pipe.
	StatusFd = 4
	// Ready is written on StatusFd once the shared part of the root is
	// mounted.
	Ready = 'R'
	// Stamps starts the record the init writes on StatusFd just before
	// execve: this byte, then StampCount CLOCK_MONOTONIC times in
	// nanoseconds, 8 bytes each, little endian (see Stamp). An error
	// after it follows the record.
	Stamps = 'T'
	// StampCount is the number of times in the Stamps record.
	StampCount = 3
	// StampsLen is the length of the Stamps record.
	StampsLen = 1 + 8*StampCount
)

// The times of the Stamps record, in order.
const (
	StampConfig = iota // the Config and its trees received
	StampRoot          // the root finished and the socket closed by Hearth
	StampExec          // privileges dropped, just before execve
)

// ParseStamps splits what the init wrote on StatusFd after Ready into
// the times of its Stamps record (zero when there is none) and the rest,
// an error's text when not empty.
func ParseStamps(b []byte) (t [StampCount]int64, rest []byte) {
	if len(b) < StampsLen || b[0] != Stamps {
		return t, b
	}
	for i := range t {
		for j := 7; j >= 0; j-- {
			t[i] = t[i]<<8 | int64(b[1+8*i+j])
		}
	}
	return t, b[StampsLen:]
}

// appendStamps appends the Stamps record of t to b.
func appendStamps(b []byte, t [StampCount]int64) []byte {
	b = append(b, Stamps)
	for _, v := range t {
		for j := range 8 {
			b = append(b, byte(v>>(8*j)))
		}
	}
	return b
}

// Prep is what the init needs before its environment is known.
type Prep struct {
	Root      string // host directory the new root is mounted over
	TmpDev    string // block device to mount at /tmp; "" = a tmpfs
	CgroupFds []int  // cgroup v1: open cgroup.procs files to write "0" to
	Hosts     string // content of /etc/hosts
	TmpMB     int    // size of a tmpfs /tmp (when there is no TmpDev)
}

// Args returns the init's argument list for p, argv[0] included.
func (p Prep) Args() []string {
	fds := make([]string, len(p.CgroupFds))
	for i, fd := range p.CgroupFds {
		fds[i] = strconv.Itoa(fd)
	}
	return []string{"hearth-sandbox-init", p.Root, p.TmpDev, strings.Join(fds, ","), p.Hosts, strconv.Itoa(p.TmpMB)}
}

// ParsePrep reads the Prep from the init's argument list (argv[0]
// included).
func ParsePrep(args []string) (Prep, error) {
	if len(args) != 6 || args[1] == "" {
		return Prep{}, errArgs
	}
	p := Prep{Root: args[1], TmpDev: args[2], Hosts: args[4]}
	var err error
	if p.TmpMB, err = strconv.Atoi(args[5]); err != nil || p.TmpMB < 0 {
		return Prep{}, errArgs
	}
	if args[3] != "" {
		for s := range strings.SplitSeq(args[3], ",") {
			fd, err := strconv.Atoi(s)
			if err != nil || fd < 0 {
				return Prep{}, errArgs
			}
			p.CgroupFds = append(p.CgroupFds, fd)
		}
	}
	return p, nil
}

// maxConfig bounds an encoded Config (Lambda's environment variables are
// at most 4 KB).
const maxConfig = 1 << 20

// Frame returns an encoded Config as Hearth writes it on ConfigFd: its
// length as 4 bytes, little endian, then the bytes.
func Frame(msg []byte) []byte {
	n := len(msg)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}, msg...)
}

// maxTrees bounds the mount trees one Config carries.
const maxTrees = 32

// Config completes the environment. The host's directories are not
// reachable from the init's root (it pivots into it before it is ready):
// Hearth clones each tree the environment sees with open_tree(2), read-only,
// and sends the descriptors with the Config, in the order of Mounts.
type Config struct {
	Mounts   []string // where each tree sent goes in the new root: /var/task, /var/runtime, /opt, a bind's own path
	Image    bool     // the first tree sent is an unpacked image that becomes the root; Mounts[0] is ignored
	Path     string   // program to exec, in the new root; a bare name is looked up on Env's PATH
	Args     []string // full argv
	Env      []string
	TmpMB    int    // size of a tmpfs /tmp (when Prep has no TmpDev)
	UID, GID int    // credentials of the bootstrap
	NoFile   int    // RLIMIT_NOFILE of the bootstrap
	WorkDir  string // working directory of the bootstrap; "" = /var/task
	Seccomp  []byte // the seccomp program (struct sock_filter, native order); none when empty
}
