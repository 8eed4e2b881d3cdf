package pool

import (
	"sync"
	"time"

	"github.com/hearth-run/hearth/internal/activity"
)

// reap shuts down environments idle for longer than IdleTimeout.
func (p *Pool) reap() {
	defer p.wg.Done()
	every := min(max(p.opts.IdleTimeout/10, 10*time.Millisecond), 10*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stopCh:
			return
		case <-t.C:
		}
		p.reapIdle()
	}
}

// reapIdle retires the on-demand environments idle for longer than
// IdleTimeout by the pool's clock.
func (p *Pool) reapIdle() {
	cutoff := p.opts.Now().Add(-p.opts.IdleTimeout)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, vp := range p.versions {
		keep := vp.idle[:0]
		for _, env := range vp.idle {
			env.mu.Lock()
			expired := !env.Provisioned && env.lastUsed.Before(cutoff)
			env.mu.Unlock()
			if expired {
				env.ending(activity.StopIdle)
				p.log.Info("environment idle past keep-alive; shutting down", "function", env.Function, "env", env.ID)
				delete(vp.all, env.ID)
				vp.lastLoss = ReasonEviction
				p.retireLocked([]*Environment{env})
				continue
			}
			keep = append(keep, env)
		}
		vp.idle = keep
	}
}

// Snapshot describes one environment, for `hearth ps` and tests.
type Snapshot struct {
	ID          string `json:"id"`
	Function    string `json:"function"`
	Version     string `json:"version"`
	StreamName  string `json:"logStream"`
	State       State  `json:"state"`
	Frozen      bool   `json:"frozen"`
	Provisioned bool   `json:"provisioned"`
	Invocations int    `json:"invocations"`
	Pid         int    `json:"pid"` // host PID of the environment's process tree root
}

// Environments lists the live environments.
func (p *Pool) Environments() []Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Snapshot
	for _, vp := range p.versions {
		for _, env := range vp.all {
			env.mu.Lock()
			s := Snapshot{ID: env.ID, Function: env.Function, Version: env.Version, StreamName: env.StreamName,
				State: env.state, Frozen: env.frozen, Provisioned: env.Provisioned, Invocations: env.invocations}
			if env.proc != nil {
				s.Pid = env.proc.Pid()
			}
			env.mu.Unlock()
			out = append(out, s)
		}
	}
	return out
}

// Close stops every environment and the pool's goroutines.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.cancel()
	var all []*Environment
	for _, vp := range p.versions {
		for _, env := range vp.all {
			all = append(all, env)
		}
		vp.all, vp.idle = map[string]*Environment{}, nil
	}
	p.mu.Unlock()
	close(p.stopCh)
	var wg sync.WaitGroup
	for _, env := range all {
		env.ending(activity.StopShutdown)
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(env) }()
	}
	wg.Wait()
	// The pool's goroutines may retire environments until they end (a
	// provisioned start failing, say); after them nothing does.
	p.wg.Wait()
	p.stops.Wait()
	return nil
}
