package runtimes

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkNodeOverhead measures what Hearth's Node bootstrap adds to the
// interpreter's own start: the CPU time (user + system, from the kernel's
// accounting of the reaped process) of `node -e 0` and of the bootstrap
// until its first /next, started alternately in a clean environment
// (PATH and Lambda's variables only: no NODE_OPTIONS, no
// NODE_EXTRA_CA_CERTS, as in a sandbox). The bootstrap is killed as soon
// as its /next arrives. Reported: the p50 of each and their difference,
// overhead-ms, whose target is at most 3 ms.
func BenchmarkNodeOverhead(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node is not installed")
	}
	rt, _ := Lookup("nodejs20.x")
	task := b.TempDir()
	if err := os.WriteFile(filepath.Join(task, "app.js"), []byte("exports.handler = async () => ({ ok: true });\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	_, args, err := rt.CommandWith(node, task, runtimeRoot(b))
	if err != nil {
		b.Fatal(err)
	}
	var bare, boot []float64
	for i := 0; i < b.N; i++ {
		bare = append(bare, cpuMs(b, exec.Command(node, "-e", "0"), nil))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(node, args...)
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LAMBDA_TASK_ROOT=" + task, "_HANDLER=app.handler",
			"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String()}
		boot = append(boot, cpuMs(b, cmd, ln))
		ln.Close()
	}
	pb, pn := median(bare), median(boot)
	b.ReportMetric(pb, "node-e0-ms")
	b.ReportMetric(pn, "bootstrap-ms")
	b.ReportMetric(pn-pb, "overhead-ms")
	b.ReportMetric(0, "ns/op")
}

// cpuMs runs cmd in a clean environment and returns its CPU time in ms:
// until it exits, or, with ln, until its first request arrives there.
func cpuMs(b *testing.B, cmd *exec.Cmd, ln net.Listener) float64 {
	if cmd.Env == nil {
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if ln != nil {
		_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			b.Fatalf("no /next from the bootstrap: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var buf [512]byte
		_, _ = c.Read(buf[:])
		_ = cmd.Process.Kill()
		defer c.Close()
	}
	_ = cmd.Wait()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
