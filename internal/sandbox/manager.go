package sandbox

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Manager. The zero value of every field is a default.
type Options struct {
	// StateDir is scratch space for the sandbox: the mount point of the
	// environments' roots and the records of plain-mode process groups.
	// Default: a "hearth-sandbox" directory under os.TempDir().
	StateDir string
	// Isolation is "auto" (default: isolate when running as root and the
	// kernel allows it, else plain processes) or "off".
	Isolation string
	// CgroupParent is the cgroup below which every environment's cgroup is
	// created. It also names the nftables table and tags the network links
	// of this Manager, so two Managers must not share one. Default "hearth".
	CgroupParent string
	// Network is the default network of isolated environments. Every one
	// has its own network namespace with the Runtime API at
	// 127.0.0.1:9001; "nat" (default; "host" is a synonym) adds a veth
	// link to the host with NAT, "none" leaves only loopback.
	Network string
	// NetworkCIDR is the IPv4 range of the "nat" links, one /30 per
	// environment. Default DefaultNetworkCIDR.
	NetworkCIDR string
	// FirstUID and UIDs are the range of unprivileged uids of isolated
	// bootstraps: each live environment runs as a uid (and gid) of its
	// own, never shared with another environment of any Hearth on the
	// host. Default 100000 and 65536.
	FirstUID, UIDs int
	// HardCPU also sets a CFS quota proportional to memory, not only a weight.
	HardCPU bool
	// InitPath is the program started as each isolated environment's init
	// (internal/sandboxinit). Default: the init embedded in this binary,
	// written into StateDir; without one, this binary itself, which must
	// then call Init first thing.
	InitPath string
	// Prestart bounds the isolated inits kept ready in their namespaces
	// and cgroups, with the shared part of the root already mounted, so
	// that a Start on the default network only completes one. The ready
	// pool follows the recent scale-out (the most Starts in 10 seconds,
	// halving every 2 minutes once past), at least one init, within an
	// eighth of the available memory (about 1.6 MiB each) and, when
	// positive, at most Prestart. 0: memory is the only bound. Negative:
	// none (every Start spawns its own init). Spare network namespaces and
	// /tmp disks cover the scale-out beyond the bound (see the package
	// documentation).
	Prestart int
	// Interpreters is how many managed-runtime interpreters are kept
	// started ahead at most, with Hearth's bootstrap loaded and no user
	// code, for the specs that carry a Prestart: one for each runtime with
	// a cold start (or an Expect) in the last 10 minutes, more for runtimes with several
	// cold starts in the last 10 seconds. Each holds its interpreter's
	// memory (see Manager.PrestartedMemoryBytes). 0: none.
	Interpreters int
	// ScaleOut, when set, keeps the ready pool's record of the recent
	// scale-out across restarts, so that a restarted Hearth refills its
	// pool at once to where the one before left it (decayed as usual).
	// Default: none; each run learns demand anew.
	ScaleOut ScaleOutStore
	// Logger receives the mode warning and cleanup messages. Default: slog.Default().
	Logger *slog.Logger
}

const (
	defaultFirstUID   = 100000
	defaultUIDs       = 65536
	pidsLimit         = 1024
	nofileLimit       = 1024
	mbPerVCPU         = 1769
	defaultMemoryMB   = 128
	defaultEphemeral  = 512
	runtimeAPIEnvName = "AWS_LAMBDA_RUNTIME_API"
)

// Manager starts environments. It is safe for concurrent use.
type Manager struct {
	opts       Options
	log        *slog.Logger
	isolated   bool
	cg         *cgroupFS        // nil when plain
	nat        *natNet          // links and NAT rules; nil when plain
	uids       *uidPool         // nil when plain
	mke2fs     string           // formats /tmp disks; "" = /tmp is a tmpfs
	seccomp    []byte           // the filter every bootstrap gets; nil when the kernel has none
	scratchDir string           // where /tmp images are created (and at once unlinked)
	tmplMu     sync.Mutex       // guards templates
	templates  map[int]bool     // sizes (MB) whose formatted template exists in scratchDir
	tmplData   map[int][]extent // guarded by tmplMu: templates' data, to reset recycled disks
	spare      spares           // namespaces and disks ready for new environments
	slots      slotFiles        // the shared image files of the /tmp disks
	rootDir    string           // mount point of the isolated roots (inside each mount namespace)
	procsDir   string           // records of running environments, for cleanup after a crash
	initDir    string           // where the embedded init is written

	seq        atomic.Uint64 // names placeholder cgroups
	kept       chan *pending // inits ready for Start (isolated, Prestart >= 1)
	demand     demand        // recent Starts, which size the ready pool
	bound      atomic.Int64  // the kept inits memory allows now (written by the keeper)
	boundAt    time.Time     // when bound was computed; the keeper's own
	target     atomic.Int64  // the kept inits the keeper aims for now
	saved      ScaleOut      // the scale-out written last; the keeper's
	savedWhen  time.Time     // when it was written; the keeper's
	closing    chan struct{} // closed by Close to stop keepInits
	keeperDone chan struct{} // closed when keepInits has returned
	closeOnce  sync.Once

	spawners     chan *spawner // free spawners (spawner_linux.go); nil when Hearth clones inits itself
	spawnersDone chan struct{} // closed when the spawners have exited; nil when none were started
	spawnersLive atomic.Int64  // spawners not known to have died
	spawned      spawnedInits  // inits cloned by spawners, until waited for

	interps     *interpPool   // pre-started interpreters; nil when none are kept
	interpsDone chan struct{} // closed when keepInterps has returned

	mu      sync.Mutex // guards closed and running
	closed  bool
	running map[*Process]struct{}

	owner *os.File // holds CgroupParent while the Manager lives (cgroupowner_linux.go)
}

// New detects what the machine supports, removes what a previous run of
// Hearth left behind, and returns a Manager. When it does not isolate it
// logs one warning listing what is not enforced.
func New(opts Options) (*Manager, error) {
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(os.TempDir(), "hearth-sandbox")
	}
	if opts.Isolation == "" {
		opts.Isolation = "auto"
	}
	if opts.CgroupParent == "" {
		opts.CgroupParent = "hearth"
	}
	if opts.Network == "" || opts.Network == "host" {
		opts.Network = "nat"
	}
	if opts.NetworkCIDR == "" {
		opts.NetworkCIDR = DefaultNetworkCIDR
	}
	if opts.FirstUID <= 0 {
		opts.FirstUID = defaultFirstUID
	}
	if opts.UIDs <= 0 {
		opts.UIDs = defaultUIDs
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	quietStops()
	switch {
	case opts.Isolation != "auto" && opts.Isolation != "off":
		return nil, fmt.Errorf("sandbox: isolation %q: want auto or off", opts.Isolation)
	case opts.Network != "nat" && opts.Network != "none":
		return nil, fmt.Errorf("sandbox: network %q: want nat, host or none", opts.Network)
	}
	abs, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("sandbox: state dir: %w", err)
	}
	opts.StateDir = abs
	m := &Manager{
		opts:       opts,
		log:        opts.Logger,
		rootDir:    filepath.Join(abs, "root"),
		scratchDir: filepath.Join(abs, "scratch"),
		procsDir:   filepath.Join(abs, "procs"),
		initDir:    filepath.Join(abs, "init"),
		running:    map[*Process]struct{}{},
	}
	for _, d := range []string{m.rootDir, m.procsDir, m.initDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("sandbox: create state dir: %w", err)
		}
	}
	// The roots are mounted over rootDir; the bootstrap (not root) must be
	// able to traverse to nothing else, so the state dir stays 0700.
	reason := "isolation is off"
	if opts.Isolation == "auto" {
		reason = m.detect()
	}
	m.cleanup()
	if m.isolated {
		if err := m.setupIsolated(); err != nil {
			_ = m.nat.close()
			_ = m.cg.removeParents()
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	m.closing, m.keeperDone = make(chan struct{}), make(chan struct{})
	if m.isolated {
		m.startSpawners()
		m.startSpares()
	}
	if m.isolated && opts.Prestart >= 0 {
		m.kept = make(chan *pending, readyBound(opts.Prestart, initMemory))
		m.demand.wake = make(chan struct{}, 1)
		m.loadScaleOut()
		go m.keepInits()
	} else {
		close(m.keeperDone)
	}
	m.interpsDone = make(chan struct{})
	if m.isolated && opts.Interpreters > 0 && os.MkdirAll(m.emptyDir(), 0o755) == nil {
		m.interps = newInterpPool(opts.Interpreters)
		go m.keepInterps()
	} else {
		close(m.interpsDone)
	}
	if !m.isolated {
		m.log.Warn("sandbox: environments run as plain processes; NOT enforced: "+
			"namespaces (functions see the host's files and processes), read-only /var/task, "+
			"/tmp size, memory limit, pids limit, CPU share, unprivileged uid, "+
			"private network (the Runtime API listens on the host's loopback, reachable by every local process), "+
			"network \"none\"; freezing uses SIGSTOP", "reason", reason)
	}
	return m, nil
}

// Isolated reports whether environments run isolated.
func (m *Manager) Isolated() bool { return m.isolated }

// View returns the paths under which the bootstrap sees the code and the
// runtime directory: /var/task and /var/runtime when isolated, the host
// directories themselves otherwise.
func (m *Manager) View(codeDir, runtimeDir string) (taskRoot, runtimeRoot string) {
	if m.isolated {
		return "/var/task", "/var/runtime"
	}
	return codeDir, runtimeDir
}

// OptView returns the path under which the bootstrap sees optDir, the
// merged layers of its function: /opt when isolated, optDir itself
// otherwise.
func (m *Manager) OptView(optDir string) string {
	if m.isolated {
		return "/opt"
	}
	return optDir
}

// Close stops every environment still running (without grace) and waits.
// Start fails with ErrClosed afterwards.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		close(m.closing)
		<-m.keeperDone
		if m.kept != nil {
			m.saveScaleOut(true)
		}
		m.drainKept()
		if m.spawnersDone != nil {
			<-m.spawnersDone
		}
		<-m.interpsDone
		if m.interps != nil {
			for _, it := range m.interps.drain() {
				it.close()
			}
		}
	})
	m.mu.Lock()
	m.closed = true
	procs := make([]*Process, 0, len(m.running))
	for p := range m.running {
		procs = append(procs, p)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(0) }()
	}
	wg.Wait()
	if m.isolated {
		<-m.spare.done
		m.closeSpares()
		m.closeSlots()
	}
	if err := m.nat.close(); err != nil {
		m.log.Warn("sandbox: NAT rules not removed", "err", err)
	}
	if m.cg != nil {
		if err := m.cg.removeParents(); err != nil {
			m.log.Warn("sandbox: parent cgroups not removed", "err", err)
		}
		_ = os.RemoveAll(m.scratchDir) // the /tmp templates
	}
	if m.owner != nil {
		_ = m.owner.Close()
	}
	return nil
}

// Start runs the bootstrap of a new environment. It returns once the
// bootstrap has been executed (isolated: inside its namespaces and cgroup).
func (m *Manager) Start(spec Spec) (*Process, error) {
	if err := m.check(&spec); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	m.mu.Unlock()
	var (
		p   *Process
		err error
	)
	if m.isolated {
		if p, err = m.startPrestarted(spec); p == nil && err == nil {
			p, err = m.startIsolated(spec)
		}
	} else {
		p, err = m.startPlain(spec)
	}
	if err != nil {
		return nil, fmt.Errorf("start environment %s: %w", spec.ID, err)
	}
	m.mu.Lock()
	if m.closed {
		// Close ran while this one started and did not see it.
		m.mu.Unlock()
		p.Stop(0)
		return nil, ErrClosed
	}
	m.running[p] = struct{}{}
	m.mu.Unlock()
	return p, nil
}

func (m *Manager) forget(p *Process) {
	m.mu.Lock()
	delete(m.running, p)
	m.mu.Unlock()
}
