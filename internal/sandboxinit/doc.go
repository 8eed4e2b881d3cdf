// Package sandboxinit is the init of an isolated execution environment:
// the process that internal/sandbox clones into new namespaces and that,
// inside them, builds the environment's root, drops privileges and
// executes the bootstrap in its own place.
//
// It imports no more than the system call packages, so that the small
// program built from ./cmd/hearth-sandbox-init starts in well under a
// millisecond; Hearth embeds that program and runs it for every
// environment. The same code also runs inside the hearth binary itself,
// re-executed, when no init is embedded (see internal/sandbox).
//
// # The protocol
//
// Hearth starts the init with the environment variable [EnvName] set to
// [Protocol] and the arguments of [Prep.Args]. An init that speaks
// another protocol fails at once, naming both: an init built from other
// sources than Hearth is never half understood. With the single argument
// "probe" the init only checks the protocol and exits 0.
//
// The init inherits a pipe and a socket. It reports on the pipe,
// [StatusFd]: the byte [Ready] once it has built the part of the root
// that every environment shares (the host's system directories, /proc,
// /dev, /tmp, /etc/hosts) and pivoted into it, so that the host's root is
// gone before any function is known; then, just before execve, the times
// of its steps ([Stamps]), and nothing more — a successful execve closes
// the pipe — or the text of the error that stopped it, after which it
// exits 127. It reads its [Config] from the socket [ConfigFd] (see
// [Frame]) with the function's trees as descriptors (SCM_RIGHTS; Hearth
// clones them with open_tree(2), read-only), attaches them with
// move_mount(2), and executes the bootstrap only when the socket reaches
// end of file. Hearth sets the environment's limits before it sends the
// Config and closes the socket right after, so that the init wakes once
// and the limits hold from the bootstrap's first instruction.
package sandboxinit
