package sandbox

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Inits are cloned by spawners: helper processes (this program started
// again, see spawnerMain) that hold almost no descriptors. A process
// cloned by Hearth itself inherits a copy of Hearth's descriptor table
// and closes every descriptor again at exec — about a dozen per live
// environment (sockets, pipes, namespaces, pidfds, loop devices, log
// files) — which cost milliseconds of CPU per cold start with a few
// hundred environments alive. A spawner receives what the init needs over
// a Unix socket (SCM_RIGHTS), joins the init's network namespace, and
// clones it with CLONE_PARENT, so that the init is Hearth's child as
// before: Hearth waits for it, signals it through its pidfd, and the
// init's parent-death signal still follows Hearth's.

// spawnerEnv marks a process started as a spawner; its value is the
// protocol, so that a spawner of another build refuses to serve.
const spawnerEnv = "_HEARTH_SANDBOX_SPAWNER"

const spawnerProtocol = "1"

// spawnReq is one clone a spawner is asked for. The descriptors come
// with it: the network namespace, the output pipe, the extra files, and
// last the cgroup directory when CgroupFD is set.
type spawnReq struct {
	Path       string   `json:"path"`
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	Cloneflags uintptr  `json:"cloneflags"`
	Extra      int      `json:"extra"`
	CgroupFD   bool     `json:"cgroupFD"`
}

// spawnResp is a spawner's answer: the pid of the new init, or why not.
type spawnResp struct {
	Pid int    `json:"pid"`
	Err string `json:"err"`
}

// spawner is Hearth's end of one spawner process.
type spawner struct {
	conn      *net.UnixConn
	cmd       *exec.Cmd
	tid       int // the thread of Hearth's that started it: the parent of its inits
	closeOnce sync.Once
}

// spawnerCount is how many spawners a Manager keeps: cold starts in a
// burst clone their inits in parallel.
var spawnerCount = min(runtime.NumCPU(), 4)

// startSpawners starts the spawners, each from a thread of its own that
// stays locked until Close: an init's parent-death signal is tied to the
// thread that created its parent's parent (CLONE_PARENT), so that thread
// must live as long as the environments; and the children of that thread
// are the spawner and its inits alone (strays_linux.go). Without spawners
// inits are cloned by Hearth.
func (m *Manager) startSpawners() {
	exe, err := os.Executable()
	if err != nil {
		m.log.Warn("sandbox: no spawner; Hearth clones inits itself", "err", err)
		return
	}
	started := make(chan *spawner, spawnerCount)
	var wg sync.WaitGroup
	for range spawnerCount {
		wg.Add(1)
		go func() { // owned by the Manager: Close stops the spawner and waits
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			sp, err := newSpawner(exe)
			if err != nil {
				m.log.Warn("sandbox: spawner not started", "err", err)
				started <- nil
				return
			}
			sp.tid = unix.Gettid()
			started <- sp
			<-m.closing
			sp.close()
		}()
	}
	m.spawnersDone = make(chan struct{})
	go func() { wg.Wait(); close(m.spawnersDone) }() // ends once every spawner has
	var sps []*spawner
	for range spawnerCount {
		if sp := <-started; sp != nil {
			sps = append(sps, sp)
		}
	}
	if len(sps) == 0 {
		m.log.Warn("sandbox: no spawner; Hearth clones inits itself")
	}
	m.spawners = make(chan *spawner, len(sps))
	m.spawnersLive.Store(int64(len(sps)))
	for _, sp := range sps {
		m.spawners <- sp
	}
}

// newSpawner starts one spawner process with one end of a socket pair.
func newSpawner(exe string) (*spawner, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("spawner socket: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "spawner"), os.NewFile(uintptr(fds[1]), "spawner")
	defer theirs.Close()
	c, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		return nil, fmt.Errorf("spawner socket: %w", err)
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{exe}, ExtraFiles: []*os.File{theirs},
		Env:         []string{spawnerEnv + "=" + spawnerProtocol, "GOMAXPROCS=1"},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}}
	if err := cmd.Start(); err != nil {
		c.Close()
		return nil, fmt.Errorf("start spawner: %w", err)
	}
	sp := &spawner{conn: c.(*net.UnixConn), cmd: cmd}
	// A program that does not call Init first never says it is ready.
	_ = sp.conn.SetReadDeadline(time.Now().Add(spawnerWait))
	var b [1]byte
	if n, err := sp.conn.Read(b[:]); n != 1 || b[0] != spawnerReady {
		_ = cmd.Process.Kill()
		sp.close()
		return nil, fmt.Errorf("spawner did not start (does main call sandbox.Init first?): %v", err)
	}
	_ = sp.conn.SetReadDeadline(time.Time{})
	return sp, nil
}

// spawnerWait bounds a spawner's start; spawnerReady is what it says
// when it serves.
const (
	spawnerWait  = 10 * time.Second
	spawnerReady = 'R'
)

// close ends the spawner and reaps it, once.
func (sp *spawner) close() {
	sp.closeOnce.Do(func() {
		_ = sp.conn.Close() // the spawner exits when its socket closes
		_ = sp.cmd.Wait()
	})
}

// startInitCmd starts cmd, an init, in the network namespace nsfd:
// through a spawner when there is one, else from a thread of Hearth's
// that joins the namespace.
func (m *Manager) startInitCmd(cmd *exec.Cmd, nsfd int) error {
	cg := -1
	if a := cmd.SysProcAttr; a != nil && a.UseCgroupFD {
		cg = a.CgroupFD
	}
	if ok, err := m.spawn(cmd, nsfd, cg); ok {
		return err
	}
	return runInNamespace(nsfd, cmd.Start)
}

// spawn starts cmd, with the network namespace nsfd and the v2 cgroup
// directory cgroupFD (-1 for none), through a spawner, waiting for a free
// one; false when there is none, and the caller starts cmd itself. A
// spawner that fails to answer is dropped (it died) and cmd is left to the
// caller, once the init it may have cloned before is killed and reaped; so
// is the zombie of a clone whose exec failed.
func (m *Manager) spawn(cmd *exec.Cmd, nsfd, cgroupFD int) (bool, error) {
	out, ok := cmd.Stdout.(*os.File)
	if !ok || cmd.Stderr != cmd.Stdout {
		return false, nil
	}
	sp := m.takeSpawner()
	if sp == nil {
		return false, nil
	}
	req := spawnReq{Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Extra: len(cmd.ExtraFiles), CgroupFD: cgroupFD >= 0}
	if a := cmd.SysProcAttr; a != nil {
		req.Cloneflags = a.Cloneflags
	}
	fds := []int{nsfd, int(out.Fd())}
	for _, f := range cmd.ExtraFiles {
		fds = append(fds, int(f.Fd()))
	}
	if cgroupFD >= 0 {
		fds = append(fds, cgroupFD)
	}
	resp, err := sp.call(req, fds)
	runtime.KeepAlive(cmd)
	if err != nil {
		m.log.Warn("sandbox: spawner failed; Hearth clones inits itself instead", "pid", sp.cmd.Process.Pid, "err", err)
		m.spawnersLive.Add(-1)
		m.reapStrays(sp) // before cmd's descriptors serve another init
		go sp.close()    // owned by itself: reaps the spawner
		return false, nil
	}
	if resp.Err != "" {
		m.reapStrays(sp)
		m.spawners <- sp
		return true, fmt.Errorf("%w: %s", ErrInit, resp.Err)
	}
	m.spawned.add(resp.Pid) // before sp serves another clone
	m.spawners <- sp
	proc, err := os.FindProcess(resp.Pid)
	if err != nil {
		return true, fmt.Errorf("%w: init %d: %w", ErrInit, resp.Pid, err)
	}
	cmd.Process = proc
	return true, nil
}

// takeSpawner waits for a free spawner; nil when none is left alive or
// the Manager is closing.
func (m *Manager) takeSpawner() *spawner {
	if m.spawners == nil {
		return nil
	}
	for m.spawnersLive.Load() > 0 {
		select {
		case sp := <-m.spawners:
			return sp
		case <-m.closing:
			return nil
		case <-time.After(100 * time.Millisecond): // the last one may have died meanwhile
		}
	}
	return nil
}

// call sends req with fds and reads the answer.
func (sp *spawner) call(req spawnReq, fds []int) (spawnResp, error) {
	var resp spawnResp
	msg, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	if _, _, err := sp.conn.WriteMsgUnix(msg, unix.UnixRights(fds...), nil); err != nil {
		return resp, err
	}
	buf := make([]byte, 4096)
	n, err := sp.conn.Read(buf)
	if err != nil {
		return resp, err
	}
	return resp, json.Unmarshal(buf[:n], &resp)
}

// spawnerMain serves as a spawner when this process was started as one,
// and then exits; in any other process it returns at once.
func spawnerMain() {
	v, ok := os.LookupEnv(spawnerEnv)
	if !ok {
		return
	}
	if v != spawnerProtocol {
		os.Exit(2)
	}
	runtime.LockOSThread() // the thread that joins the namespaces and clones
	syscall.CloseOnExec(3) // inherited open: no init must hold the socket
	sock := os.NewFile(3, "spawner")
	home, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		os.Exit(2)
	}
	if _, err := unix.Write(int(sock.Fd()), []byte{spawnerReady}); err != nil {
		os.Exit(0)
	}
	buf, oob := make([]byte, 1<<16), make([]byte, unix.CmsgSpace(64*4))
	for {
		var n, oobn int
		n, oobn, _, _, err = unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			os.Exit(0) // Hearth closed its end
		}
		resp := serveSpawn(buf[:n], oob[:oobn])
		// Back home: the spawner must hold no environment's namespace.
		if err := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); err != nil {
			os.Exit(2)
		}
		msg, _ := json.Marshal(resp)
		if _, err := unix.Write(int(sock.Fd()), msg); err != nil {
			os.Exit(0)
		}
	}
}

// serveSpawn clones one init as req asks, with the descriptors in oob.
func serveSpawn(b, oob []byte) (resp spawnResp) {
	var fds []int
	if cmsgs, err := unix.ParseSocketControlMessage(oob); err == nil {
		for _, c := range cmsgs {
			if rights, err := unix.ParseUnixRights(&c); err == nil {
				fds = append(fds, rights...)
			}
		}
	}
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), "spawn")
	}
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	var req spawnReq
	if err := json.Unmarshal(b, &req); err != nil {
		return spawnResp{Err: "spawner: " + err.Error()}
	}
	want := 2 + req.Extra
	if req.CgroupFD {
		want++
	}
	if len(files) != want {
		return spawnResp{Err: fmt.Sprintf("spawner: %d descriptors, want %d", len(files), want)}
	}
	if err := unix.Setns(fds[0], unix.CLONE_NEWNET); err != nil {
		return spawnResp{Err: "spawner: join network namespace: " + err.Error()}
	}
	// No Pdeathsig here: Go's check of it compares the child's parent with
	// the spawner and would kill the child, whose parent is Hearth. The
	// init arms it itself (relative to Hearth) when it drops privileges, and
	// exits before that when Hearth's end of its config pipe closes.
	attr := &syscall.SysProcAttr{Cloneflags: req.Cloneflags | syscall.CLONE_PARENT}
	if req.CgroupFD {
		attr.UseCgroupFD, attr.CgroupFD = true, fds[len(fds)-1]
	}
	cmd := &exec.Cmd{Path: req.Path, Args: req.Args, Env: req.Env, Stdout: files[1], Stderr: files[1],
		ExtraFiles: files[2 : 2+req.Extra], SysProcAttr: attr}
	if err := cmd.Start(); err != nil {
		return spawnResp{Err: err.Error()}
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return spawnResp{Pid: pid}
}
