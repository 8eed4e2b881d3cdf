package api

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// net/http cancels a request's context when its client goes away while
// the handler runs: once the body is read, a goroutine per request reads
// the connection, and an end of stream or an error there cancels the
// context (a byte of a next request does not, and ends the watch). The
// Front does the same without a goroutine per request: while its handler
// runs, the connection's descriptor sits in one epoll set per Front,
// armed for one event, and the Front's one watcher goroutine, parked in
// the runtime's poller on that set, peeks at the connection when it
// becomes readable or hung up. Arming and disarming are an epoll_ctl
// each, on the connection's goroutine; nothing is allocated per request.

// Bits of connWatch.state below the request's sequence number.
const (
	watchArmed = 1 << iota // the descriptor is in the set for this request
	watchFired             // the client went away during this request
	watchShift = iota
)

// watcher is a Front's epoll set of connections whose handler runs.
type watcher struct {
	fd   int             // the epoll set
	file *os.File        // fd, for the runtime's poller
	rc   syscall.RawConn // of file
	wg   sync.WaitGroup  // the run goroutine

	mu    sync.Mutex // guards conns
	conns map[int32]*connWatch
}

// newWatcher returns a running watcher, or nil (and the error) where
// epoll cannot be had: the Front then detects no disconnects.
func newWatcher() (*watcher, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	w := &watcher{fd: fd, file: os.NewFile(uintptr(fd), "epoll"), conns: map[int32]*connWatch{}}
	if w.rc, err = w.file.SyscallConn(); err != nil {
		_ = w.file.Close()
		return nil, err
	}
	w.wg.Add(1)
	go w.run() // ends when close closes the set
	return w, nil
}

// close stops the watcher once no connection uses it any more.
func (w *watcher) close() {
	if w == nil {
		return
	}
	_ = w.file.Close()
	w.wg.Wait()
}

// run waits for events in the set and handles them until it is closed.
func (w *watcher) run() {
	defer w.wg.Done()
	var evs [16]syscall.EpollEvent
	var n int
	wait := func(fd uintptr) bool {
		var err error
		n, err = syscall.EpollWait(int(fd), evs[:], 0)
		return n > 0 || (err != nil && err != syscall.EINTR && err != syscall.EAGAIN)
	}
	for {
		if err := w.rc.Read(wait); err != nil {
			return
		}
		for _, ev := range evs[:max(n, 0)] {
			w.mu.Lock()
			cw := w.conns[ev.Fd]
			w.mu.Unlock()
			if cw != nil {
				cw.fire(uint32(ev.Pad))
			}
		}
	}
}

// connWatch is what a connection needs to be watched; only its state is
// touched by the watcher's goroutine besides the connection's.
type connWatch struct {
	w      *watcher
	rc     syscall.RawConn
	fd     int32
	cancel func() // cancels the connection's context
	// state is the request's sequence number, shifted, and its bits.
	state atomic.Uint64
	seq   uint32
	armed bool // the descriptor is in the set (connection's goroutine only)
	ev    syscall.EpollEvent
	add   func(fd uintptr) // arm and disarm made once, for Control
	del   func(fd uintptr)
}

// init makes c watchable by w; a connection that is not a socket, or
// without a watcher, is never armed. A connection that wraps another
// (a listener's limits) gives its socket with NetConn, as tls.Conn does.
func (cw *connWatch) init(w *watcher, c net.Conn, cancel func()) {
	for range 8 {
		u, ok := c.(interface{ NetConn() net.Conn })
		if _, sys := c.(syscall.Conn); sys || !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if w == nil || !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var fd int32 = -1
	if rc.Control(func(s uintptr) { fd = int32(s) }) != nil || fd < 0 {
		return
	}
	cw.w, cw.rc, cw.fd, cw.cancel = w, rc, fd, cancel
	cw.add = func(s uintptr) {
		cw.armed = syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_ADD, int(s), &cw.ev) == nil
	}
	cw.del = func(s uintptr) { _ = syscall.EpollCtl(w.fd, syscall.EPOLL_CTL_DEL, int(s), &cw.ev) }
	w.mu.Lock()
	w.conns[fd] = cw
	w.mu.Unlock()
}

// arm watches the connection for the rest of the request.
func (cw *connWatch) arm() {
	if cw.w == nil || cw.armed {
		return
	}
	cw.seq++
	cw.state.Store(uint64(cw.seq)<<watchShift | watchArmed)
	cw.ev = syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd: cw.fd, Pad: int32(cw.seq)}
	_ = cw.rc.Control(cw.add)
}

// disarm ends the request's watch and reports whether the client went
// away during it (its context is then cancelled).
func (cw *connWatch) disarm() (gone bool) {
	if !cw.armed {
		return false
	}
	cw.armed = false
	armed := uint64(cw.seq)<<watchShift | watchArmed
	gone = !cw.state.CompareAndSwap(armed, uint64(cw.seq)<<watchShift)
	_ = cw.rc.Control(cw.del)
	return gone
}

// fire handles an event of request seq: the client has sent more bytes,
// closed its side, or the connection failed. As net/http's background
// read, it cancels unless a byte is there to read.
func (cw *connWatch) fire(seq uint32) {
	armed := uint64(seq)<<watchShift | watchArmed
	if cw.state.Load() != armed {
		return
	}
	gone := false
	if cw.rc.Control(func(s uintptr) { gone = peerGone(int(s)) }) != nil {
		return // closed meanwhile: the request is over
	}
	if gone && cw.state.CompareAndSwap(armed, uint64(seq)<<watchShift|watchFired) {
		cw.cancel()
	}
}

// peerGone reports whether a read of socket fd would end the stream or
// fail, without reading.
func peerGone(fd int) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return false
	case err != nil:
		return true
	}
	return n == 0
}

// forget removes the connection from the watcher when it ends.
func (cw *connWatch) forget() {
	if cw.w == nil {
		return
	}
	cw.w.mu.Lock()
	if cw.w.conns[cw.fd] == cw {
		delete(cw.w.conns, cw.fd)
	}
	cw.w.mu.Unlock()
}
