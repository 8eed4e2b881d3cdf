package runtimeapi

// A runtime's GET /next usually comes before there is an invocation for it.
// Parked on a goroutine, it would cost a wake-up of that goroutine, on
// another thread, on every invocation, only to write the answer. On a
// connection served here (conn.go) the GET is instead registered as
// waiting and its goroutine goes back to reading the connection; Invoke
// writes the answer itself, from the caller's goroutine.
//
// Order on the connection is kept by two rules. While its GET waits, the
// connection's goroutine does not touch its writer: Invoke owns it from
// the moment it takes the waiter (under Server.mu, taking the connection's
// wmu before releasing mu) until the answer is flushed. And when the
// runtime sends anything more while its GET waits, that GET is withdrawn
// and served as a parked long poll first, as net/http would.

// nextLean serves a plain GET /next on lc: at once if an invocation is in
// flight (or the call is refused), else by registering lc as waiting. It
// reports false when the connection cannot go on.
func (s *Server) nextLean(lc *leanConn) bool {
	w := &lc.w
	w.reset()
	s.mu.Lock()
	if !s.arriveLocked(w) {
		return w.finish() == nil
	}
	if c := s.cur; c != nil {
		s.mu.Unlock()
		deliver(w, c)
		return w.finish() == nil
	}
	if s.closed {
		s.mu.Unlock()
		return false
	}
	lc.waiting, lc.registered = true, true // settled before reading on
	s.waiting = append(s.waiting, lc)
	s.mu.Unlock()
	return true
}

// takeWaitersLocked removes the waiting connections, taking each one's
// writer (wmu), which deliverTo gives back. With s.mu held.
func (s *Server) takeWaitersLocked() []*leanConn {
	ws := s.waiting
	if len(ws) == 0 {
		return nil
	}
	s.waiting = s.waiting[len(ws):]
	for _, lc := range ws {
		lc.wmu.Lock()
		lc.waiting = false
	}
	return ws
}

// inlineDelivery is the largest event Invoke writes to a waiting
// connection itself: it fits the socket's buffer, so the write cannot
// block on a runtime that does not read. A larger one is written from a
// goroutine of its own, so that Invoke still ends at its deadline; closing
// the connection (Close, or the process's exit) ends that write.
const inlineDelivery = 64 << 10

// deliverTo answers the waiting GET /next of each connection with c.
// Write errors are the connection's goroutine's to see.
func deliverTo(ws []*leanConn, c *call) {
	if len(ws) > 0 && len(c.payload) > inlineDelivery {
		go writeNext(ws, c) // owned by the connections: closing them ends it
		return
	}
	writeNext(ws, c)
}

func writeNext(ws []*leanConn, c *call) {
	for _, lc := range ws {
		lc.w.reset()
		deliver(&lc.w, c)
		_ = lc.w.finish()
		lc.wmu.Unlock()
	}
}

// settle is called by lc's goroutine before it reads past a GET /next it
// registered: it withdraws the GET if it still waits, and reports that,
// or else waits until Invoke has finished writing its answer.
func (s *Server) settle(lc *leanConn) (withdrawn bool) {
	s.mu.Lock()
	if lc.waiting {
		lc.waiting = false
		for i, w := range s.waiting {
			if w == lc {
				s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	lc.wmu.Lock() // Invoke's answer, if it is being written, is done
	lc.wmu.Unlock()
	return false
}
