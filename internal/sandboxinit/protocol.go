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
	Protocol = "hearth-sandbox-init/4"
	// ProbeArg, the only argument, asks the init to check the protocol
	// and exit 0.
	ProbeArg = "probe"
)

// The init's descriptors.
const (
	// ConfigFd is the read end of the pipe that carries the Config.
	ConfigFd = 3
	// StatusFd is the write end of the status pipe.
	StatusFd = 4
	// Ready is written on StatusFd once the shared part of the root is
	// mounted.
	Ready = 'R'
)

// Prep is what the init needs before its environment is known.
type Prep struct {
	Root      string // host directory the new root is mounted over
	TmpDev    string // block device to mount at /tmp; "" = a tmpfs
	CgroupFds []int  // cgroup v1: open cgroup.procs files to write "0" to
	Hosts     string // content of /etc/hosts
}

// Args returns the init's argument list for p, argv[0] included.
func (p Prep) Args() []string {
	fds := make([]string, len(p.CgroupFds))
	for i, fd := range p.CgroupFds {
		fds[i] = strconv.Itoa(fd)
	}
	return []string{"hearth-sandbox-init", p.Root, p.TmpDev, strings.Join(fds, ","), p.Hosts}
}

// ParsePrep reads the Prep from the init's argument list (argv[0]
// included).
func ParsePrep(args []string) (Prep, error) {
	if len(args) != 5 || args[1] == "" {
		return Prep{}, errArgs
	}
	p := Prep{Root: args[1], TmpDev: args[2], Hosts: args[4]}
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

// Config completes the environment.
type Config struct {
	CodeDir    string   // -> /var/task; "" = the image's own /var/task
	RuntimeDir string   // -> /var/runtime, optional
	OptDir     string   // -> /opt, optional
	Path       string   // program to exec, in the new root; a bare name is looked up on Env's PATH
	Args       []string // full argv
	Env        []string
	TmpMB      int      // size of a tmpfs /tmp (when Prep has no TmpDev)
	UID, GID   int      // credentials of the bootstrap
	NoFile     int      // RLIMIT_NOFILE of the bootstrap
	Binds      []string // host dirs -> same path, read-only
	RootFS     string   // unpacked image as the root instead of the host's dirs
	WorkDir    string   // working directory of the bootstrap; "" = /var/task
	Seccomp    []byte   // the seccomp program (struct sock_filter, native order); none when empty
}
