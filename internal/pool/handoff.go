package pool

// A request that finds no idle environment, while one of its version has
// answered and is about to ask for its next event, waits for it
// (awaitRespondingLocked). Freezing that environment when its invocation
// ends, only for the waiting request to thaw it a moment later, would cost
// a SIGSTOP and a SIGCONT to every thread of the runtime and delay the
// request; Lambda, too, hands a queued event to the runtime's GET /next at
// once. So Release leaves an environment it returns while a request waits
// idle and running (handoff), and the waiting requests, once back under the
// pool's lock, take it; the last of them to come back freezes whatever
// handed-over environment no request took. An environment is therefore
// never left running idle beyond the moment its waiting requests return.

// backFromWaitLocked is called, with p.mu held, by a request back from
// awaitRespondingLocked. The last one back returns the handed-over idle
// environments of vp, which it freezes (freezeLeft) once it has taken its
// own: every one it does not take.
func (p *Pool) backFromWaitLocked(vp *versionPool) []*Environment {
	vp.waiting--
	if vp.waiting > 0 {
		return nil
	}
	var left []*Environment
	for _, env := range vp.idle {
		if env.handoff {
			env.handoff = false
			left = append(left, env)
		}
	}
	return left
}

// freezeLeft freezes the handed-over environments that are still idle:
// freeze skips the one the request took, and any another request took.
func freezeLeft(envs []*Environment) {
	for _, env := range envs {
		env.freeze()
	}
}
