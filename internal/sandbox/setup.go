package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// setupIsolated prepares what isolated environments share: the NAT
// range and rules, the uid pool, the /tmp disks and the seccomp filter.
// What the machine cannot provide is named in one warning; a network
// range that collides with the host's routes is an error.
func (m *Manager) setupIsolated() error {
	var missing []string
	var err error
	if m.opts.InitPath == "" {
		if m.opts.InitPath, err = m.initPath(); err != nil {
			return err
		}
	}
	if m.nat, err = newNatNet(m.opts.NetworkCIDR, m.opts.CgroupParent); errors.Is(err, errRangeOverlap) {
		return err
	} else if err != nil {
		missing = append(missing, "outbound network (network nat gives loopback only): "+err.Error())
	}
	if m.uids, err = newUIDPool(m.opts.FirstUID, m.opts.UIDs); err != nil {
		return err
	}
	m.templates, m.tmplData = map[int]bool{}, map[int][]extent{}
	if err := os.MkdirAll(m.scratchDir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	var why string
	if m.mke2fs, why = scratchSupported(); why != "" {
		missing = append(missing, "/tmp on disk (/tmp is a tmpfs charged to the memory limit): "+why)
	}
	if !seccompSupported() {
		missing = append(missing, "seccomp filter: the kernel lacks seccomp filters")
	} else if m.seccomp, err = assembleSeccomp(); err != nil {
		return err
	}
	if len(missing) > 0 {
		m.log.Warn("sandbox: environments are isolated, but NOT enforced: " + strings.Join(missing, "; "))
	}
	return nil
}

// detect decides whether to isolate and returns why not when it does not.
func (m *Manager) detect() string {
	if os.Geteuid() != 0 {
		return "not running as root"
	}
	for _, ns := range []string{"mnt", "pid", "ipc", "uts", "net"} {
		if _, err := os.Stat("/proc/self/ns/" + ns); err != nil {
			return "kernel lacks " + ns + " namespaces"
		}
	}
	owner, err := holdParent(m.opts.CgroupParent) // before the parent exists (cgroupowner_linux.go)
	if err != nil {
		return err.Error()
	}
	m.owner = owner
	cg, err := detectCgroups(m.opts.CgroupParent)
	if err != nil {
		return err.Error()
	}
	m.cg, m.isolated = cg, true
	return ""
}
