package pool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/pool/pooltest"
	"github.com/hearth-run/hearth/internal/runtimeapi"
)

// The simulation drives a pool on fake processes with thousands of random
// interleaved steps — acquire, invoke, release, update, kill, provision,
// reap — and checks the pool's invariants after every one, in the manner
// of bbolt's simulation tests. HEARTH_SIM_SEED replays a run; the seed of
// a failed run is in the failure. HEARTH_SIM_STEPS sets the steps per run
// (per worker in the concurrent one).

// simLimits are the simulated account: reservations stay fixed so that the
// limits checked are the ones admission applied.
var simReserved = map[string]int{"a": 3, "b": 1}

const (
	simAccount   = 8
	simFunctions = "abcd" // a, b reserved; c, d unreserved
)

// sim is one simulation's world: the pool and the model of its users.
type sim struct {
	t     *testing.T
	rng   *rand.Rand
	p     *Pool
	fs    *pooltest.Starter
	clock *fakeClock
	rev   map[string]int // function -> current $LATEST revision number

	mu   sync.Mutex // guards held and rev
	held map[*Environment]bool
}

func simSeed(t *testing.T) uint64 {
	if s := os.Getenv("HEARTH_SIM_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("HEARTH_SIM_SEED: %v", err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

func newSim(t *testing.T, seed uint64) *sim {
	p, fs, clock := newTestPool(t, Options{AccountLimit: simAccount, IdleTimeout: time.Minute, MaxParallelStops: 3})
	// As the server does at start: admission knows every reservation
	// before the first request.
	for fn, r := range simReserved {
		p.SetReserved(fn, intp(r))
	}
	return &sim{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), p: p, fs: fs, clock: clock,
		rev: map[string]int{}, held: map[*Environment]bool{}}
}

func (s *sim) spec(fn, version string) *Spec {
	var reserved *int
	if r, ok := simReserved[fn]; ok {
		reserved = intp(r)
	}
	rev := "r1"
	if version == "$LATEST" {
		s.mu.Lock()
		rev = "r" + strconv.Itoa(s.rev[fn]+1)
		s.mu.Unlock()
	}
	return testSpec(fn, version, rev, reserved)
}

func (s *sim) pick(rng *rand.Rand) (fn, version string) {
	fn = string(simFunctions[rng.IntN(len(simFunctions))])
	version = "$LATEST"
	if rng.IntN(3) == 0 {
		version = "1"
	}
	return fn, version
}

// acquire takes an environment and claims it; two claims of one
// environment are a double use.
func (s *sim) acquire(rng *rand.Rand) (*Environment, error) {
	fn, version := s.pick(rng)
	acq, err := s.p.Acquire(context.Background(), s.spec(fn, version))
	var te *errdefs.ThrottleError
	var ie *InitError
	if errors.As(err, &te) || errors.As(err, &ie) {
		return nil, nil // throttled, or a kill hit the starting process
	}
	if err != nil {
		return nil, fmt.Errorf("acquire %s:%s: %w", fn, version, err)
	}
	if st := acq.Env.State(); st != Busy {
		return nil, fmt.Errorf("acquired environment %s is %s", acq.Env.ID, st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[acq.Env] {
		return nil, fmt.Errorf("environment %s handed to two invocations", acq.Env.ID)
	}
	s.held[acq.Env] = true
	return acq.Env, nil
}

// finish optionally invokes the environment, then releases it.
func (s *sim) finish(rng *rand.Rand, env *Environment) error {
	healthy := true
	if rng.IntN(4) == 0 {
		payload := `"ok"`
		if rng.IntN(10) == 0 {
			payload = pooltest.Crash
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := env.Invoke(ctx, runtimeapi.Invocation{RequestID: strconv.Itoa(rng.Int()),
			Deadline: time.Now().Add(10 * time.Second), Payload: []byte(payload)})
		cancel()
		exited, _, _ := env.Exited()
		switch {
		case err != nil || exited:
			healthy = false
		case string(res.Payload) != payload:
			return fmt.Errorf("environment %s answered %q to %q", env.ID, res.Payload, payload)
		}
	}
	s.mu.Lock()
	delete(s.held, env)
	s.mu.Unlock()
	s.p.Release(env, healthy)
	return nil
}

// step runs one random operation.
func (s *sim) step(rng *rand.Rand, mine *[]*Environment) error {
	switch n := rng.IntN(100); {
	case n < 40:
		env, err := s.acquire(rng)
		if env != nil {
			*mine = append(*mine, env)
		}
		return err
	case n < 75:
		if len(*mine) == 0 {
			return nil
		}
		i := rng.IntN(len(*mine))
		env := (*mine)[i]
		*mine = append((*mine)[:i], (*mine)[i+1:]...)
		return s.finish(rng, env)
	case n < 82:
		fn, _ := s.pick(rng)
		s.mu.Lock()
		s.rev[fn]++
		current := map[string]string{"$LATEST": "r" + strconv.Itoa(s.rev[fn]+1), "1": "r1"}
		s.mu.Unlock()
		s.p.FunctionChanged(fn, current)
	case n < 88:
		if procs := s.fs.Running(); len(procs) > 0 {
			procs[rng.IntN(len(procs))].Exit(errors.New("signal: killed"))
		}
	case n < 94:
		fn, _ := s.pick(rng)
		count := rng.IntN(3)
		if r, ok := simReserved[fn]; ok {
			count = min(count, r-1)
		}
		s.p.SetProvisioned(fn, []Target{{Owner: fn + ":1", Spec: s.spec(fn, "1"), Count: count}})
	default:
		s.clock.Advance(time.Duration(rng.IntN(40)) * time.Second)
		s.p.reapIdle()
	}
	return nil
}

// simSteps is the number of steps, 3000 unless HEARTH_SIM_STEPS says
// otherwise (a soak run); short is its value with -short.
func simSteps(t *testing.T, steps, short int) int {
	if s := os.Getenv("HEARTH_SIM_STEPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("HEARTH_SIM_STEPS=%q", s)
		}
		return n
	}
	if testing.Short() {
		return short
	}
	return steps
}

func TestSimulation(t *testing.T) {
	seed := simSeed(t)
	steps := simSteps(t, 3000, 500)
	s := newSim(t, seed)
	var mine []*Environment
	for i := range steps {
		if err := s.step(s.rng, &mine); err != nil {
			t.Fatalf("seed %d, step %d: %v", seed, i, err)
		}
		if err := s.p.checkInvariants(s.heldSet(), true); err != nil {
			t.Fatalf("seed %d, step %d: %v", seed, i, err)
		}
	}
	s.drain(mine, seed)
}

func TestSimulationConcurrent(t *testing.T) {
	seed := simSeed(t)
	const workers = 4
	steps := simSteps(t, 800, 200)
	s := newSim(t, seed)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			var mine []*Environment
			defer func() {
				for _, env := range mine {
					_ = s.finish(rng, env)
				}
			}()
			for i := range steps {
				err := s.step(rng, &mine)
				if err == nil {
					err = s.p.checkInvariants(nil, false)
				}
				if err != nil {
					errc <- fmt.Errorf("seed %d, worker %d, step %d: %w", seed, w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	s.drain(nil, seed)
}

func (s *sim) heldSet() map[*Environment]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[*Environment]bool, len(s.held))
	for env := range s.held {
		out[env] = true
	}
	return out
}

// drain releases what is held, closes the pool and checks that no process
// outlived it and no invocation reached a frozen process.
func (s *sim) drain(mine []*Environment, seed uint64) {
	for _, env := range mine {
		if err := s.finish(s.rng, env); err != nil {
			s.t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if err := s.p.checkInvariants(s.heldSet(), true); err != nil {
		s.t.Fatalf("seed %d, after draining: %v", seed, err)
	}
	if err := s.p.Close(); err != nil {
		s.t.Fatal(err)
	}
	if n := len(s.fs.Running()); n != 0 {
		s.t.Fatalf("seed %d: %d processes running after Close", seed, n)
	}
	if n := s.fs.Violations.Load(); n != 0 {
		s.t.Fatalf("seed %d: %d invocations delivered to a frozen process", seed, n)
	}
	s.t.Logf("seed %d: %d environments started", seed, s.fs.Starts())
}
