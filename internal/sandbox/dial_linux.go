package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
)

// DialContext connects to addr as seen from inside the environment: in
// its network namespace when it has one (where 127.0.0.1 is the
// environment's own loopback), else from the host. Hearth delivers
// Telemetry API events to an extension's listener this way.
func (p *Process) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	if p.net == nil {
		return d.DialContext(ctx, network, addr)
	}
	nsf, err := os.Open("/proc/" + strconv.Itoa(p.pid) + "/ns/net")
	if err != nil {
		return nil, fmt.Errorf("open network namespace of %s: %w", p.id, err)
	}
	defer nsf.Close()
	return inNamespace(int(nsf.Fd()), func() (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	})
}
