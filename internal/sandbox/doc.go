// Package sandbox runs the process tree of one Lambda execution environment:
// a bootstrap program with its code read-only at /var/task, a writable /tmp
// on a disk of EphemeralStorage's size, a memory limit, a CPU share proportional to memory, and a
// freezer that parks the whole tree between invocations.
//
// # Modes
//
// A [Manager] works in one of two modes, chosen once by [New]:
//
//   - Isolated (root, Options.Isolation "auto", kernel support present): every
//     environment gets new mount, PID, IPC, UTS and network namespaces, a
//     private root filesystem built from read-only binds of the host's /usr,
//     /bin, /lib, /lib64, /etc and /sbin, its own /etc/hosts, a fresh /proc,
//     a minimal /dev, and its own cgroup (memory with swap off, pids, cpu,
//     freezer). The bootstrap runs as a uid and gid of its own (leased from
//     Options.FirstUID up, see uidPool), with no capabilities, no_new_privs,
//     RLIMIT_NOFILE 1024 and a seccomp filter (seccompPolicy). /tmp is a
//     loop-mounted ext4 disk (scratch); without mke2fs or loop devices it
//     is a tmpfs, and New names that and anything else not enforced in one
//     warning.
//   - Plain (not root, Isolation "off", or no kernel support): the bootstrap is
//     an ordinary child in its own process group; freezing uses SIGSTOP and
//     SIGCONT; nothing is enforced. New logs one warning that says so.
//
// # Network
//
// The Runtime API of an isolated environment listens at 127.0.0.1:9001
// inside the environment's network namespace: Hearth opens the socket
// from a thread that has joined the namespace (setns) and serves it from
// its own process, so nothing outside the namespace can connect to it.
// Network "nat" (the default) adds a veth pair, a /30 from
// Options.NetworkCIDR, a default route to the host side and an nftables
// masquerade rule; host.hearth.internal names the host side. Network
// "none" leaves loopback only.
//
// # The init
//
// Namespaces are entered with clone(2), but the mounts, pivot_root and the
// privilege drop must run inside them, before the bootstrap's execve. A
// small program does that: internal/sandboxinit, built by go generate into
// initbin/ and embedded (see initexe_linux.go); the Manager writes it into
// StateDir/init once and starts it for every environment. It joins its
// cgroup (v1; on v2 it is cloned straight into it with CLONE_INTO_CGROUP),
// mounts the part of the root every environment shares (with /tmp and
// /etc/hosts), pivots into it and detaches the host's root, and reports
// ready on its status pipe (fd 4). A Start clones the function's trees
// (openTrees: /var/task, /var/runtime, /opt, binds, an image root) and
// sets the memory limit, then sends the configuration with the trees'
// descriptors on the socket at fd 3 and closes it; the init attaches the
// trees, drops privileges and executes the bootstrap in place — or writes
// the failure on the status pipe and exits 127 (see internal/sandboxinit
// for the protocol).
//
// Without an embedded init (a plain go build), the Manager re-executes its
// own program instead, with one warning. Every program that creates an
// isolated Manager — cmd/hearth's main and the TestMain of every test
// package that starts isolated environments — must therefore call [Init]
// first thing:
//
//	func main() {
//		sandbox.Init() // returns at once unless this process is a sandbox init
//		...
//	}
//
// # Kept inits, spares and recycling
//
// To keep namespace creation, network setup, the /tmp disk, cgroup
// creation, the uid lease and the init's own start off the cold-start
// path, the Manager keeps inits ready (for the default network and a
// 512 MB /tmp), each waiting in a placeholder cgroup that Start renames to
// the environment's ID before applying its limits, as many as the recent
// scale-out (readypool.go) within a memory bound. The CPU weight and quota are
// applied once the bootstrap runs, so Hearth's setup work is not slowed by
// a small function's CPU share on a busy machine.
//
// Beyond the kept inits it keeps spares: network namespaces that no
// process holds (Hearth keeps them open), each with its link and Runtime
// API listener, and /tmp disks; a Start that finds no kept init clones its
// init into a spare namespace and mounts a spare disk. The spares come
// from the keeper (for the scale-out beyond the inits' bound) and from environments
// that ended: once every process of an environment is gone, the recycler
// resets its namespace (refused if the environment sent anything over its
// link or a socket remains; a new listener) and its disk (every block
// discarded, the formatted template written afresh). The ready pool takes
// at most an eighth of the memory available when the Manager starts.
//
// # Pre-started interpreters
//
// With Options.Interpreters, a Spec that carries a [Prestart] (Hearth's
// Python and Node bootstraps) can be served by an interpreter started
// ahead in a kept init, with the bootstrap loaded, an empty /var/task and
// no user code, waiting on a connection to the Runtime API address. Start
// hands it the function: limits on the cgroup, the code and layers mounted
// from outside (mountns_linux.go), then the complete environment and
// working directory on that connection (prestart_linux.go). One serves one
// environment only.
//
// # PID 1
//
// The init executes the bootstrap in place, so the bootstrap itself is PID 1
// of its namespace, as in a container without an init: when it exits the
// kernel kills everything left in the environment, and orphaned grandchildren
// are reparented to it. The kernel delivers to a namespace's PID 1 only the
// signals it handles; [Process.Stop] therefore sends SIGKILL at once when the
// bootstrap neither catches nor ignores SIGTERM, which is what SIGTERM would
// have done to an ordinary process.
//
// # Cleanup
//
// No cgroup, mount, link, loop device or process outlives an environment
// beyond the spares: mounts exist only in the environment's mount
// namespace, which dies with its PID 1; a network namespace and a /tmp disk
// are either kept as spares, held only by Hearth's descriptors, or
// destroyed; [Process.Stop] removes the cgroup and frees the uid. Close
// destroys the spares and removes the parent cgroups and the nftables
// table. A spare dies with Hearth's descriptors: the kernel destroys a
// namespace nothing holds (and its link with it), and a loop device
// attached with autoclear detaches itself at its last close. Signals go
// through pidfds (signal_linux.go). After a kill -9 of Hearth, [New] kills
// what is left in the cgroups below Options.CgroupParent and in the process
// groups recorded under Options.StateDir, and removes them, the links
// tagged with Options.CgroupParent and the loop devices of its images;
// it also removes the parent cgroups of other Hearths that are gone
// (cgroupowner_linux.go).
package sandbox
