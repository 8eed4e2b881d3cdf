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
// The init inherits two pipes. It reports on [StatusFd]: the byte [Ready]
// once it has mounted the part of the root that every environment shares,
// then nothing — a successful execve closes the pipe — or the text of the
// error that stopped it, after which it exits 127. It reads its [Config]
// from [ConfigFd] (see [Frame]), completes the root, and executes the
// bootstrap only when that pipe reaches end of file: Hearth sets the
// environment's limits while the init mounts, and closes the pipe after.
package sandboxinit
