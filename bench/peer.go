package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// target is one server the peer scenario measures.
type target struct {
	name string
	do   func() error
	lat  dist
	rps  []float64
	cpu  cpuMeter // the server's process tree
}

// runPeer measures, in one run and interleaved in rounds so that the
// machine's noise falls on all alike: the bare loopback round trip of a
// no-op Go HTTP server (the floor), the aws-lambda-go hello function under
// AWS's Lambda Runtime Interface Emulator, and the same function in Hearth,
// called with a plain SigV4-signed HTTP request and through aws-sdk-go-v2.
// The emulator fails on concurrent invocations, so everything runs at
// concurrency 1.
func runPeer(ctx context.Context, tb *toolbox, o Options) (*Result, error) {
	seq, perRound, rounds := 5000, time.Second, 5
	if o.Short {
		seq, perRound, rounds = 50, 0, 1
	}
	r := newResult("peer")
	client := &http.Client{Timeout: time.Minute, Transport: newTransport()}
	defer client.CloseIdleConnections()
	post := func(url string) func() error {
		return func() error {
			resp, err := client.Post(url, "application/json", bytes.NewReader([]byte(`{}`)))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		}
	}

	floorBin, err := tb.floor()
	if err != nil {
		return nil, err
	}
	floorAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	floor, err := startProc(exec.Command(floorBin, floorAddr), floorAddr)
	if err != nil {
		return nil, err
	}
	defer stopProc(floor)

	rieBin, err := tb.rie()
	if err != nil {
		return nil, err
	}
	bootstrap, err := tb.goBootstrap()
	if err != nil {
		return nil, err
	}
	rieAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	rapiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	rieCmd := exec.Command(rieBin, "--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", rapiAddr, bootstrap)
	rieCmd.Dir = filepath.Dir(bootstrap)
	rieCmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_NAME=hello", "LOG_LEVEL=error")
	rie, err := startProc(rieCmd, rieAddr)
	if err != nil {
		return nil, err
	}
	defer stopProc(rie)
	rieURL := "http://" + rieAddr + "/2015-03-31/functions/function/invocations"
	begin := time.Now()
	if err := post(rieURL)(); err != nil {
		return nil, fmt.Errorf("emulator first invoke: %w", err)
	}
	rieCold := time.Since(begin)

	h, err := startHearth(tb)
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	if err := deploy(ctx, tb, h, "peer", runtimeSpecs[0]); err != nil {
		return nil, err
	}
	hearthCold := invoke(ctx, h.Lambda, "peer", "", []byte(`{}`), true)
	if hearthCold.Err != nil {
		return nil, hearthCold.Err
	}
	targets := []*target{
		{name: "floor: no-op Go HTTP server, loopback", do: post("http://" + floorAddr + "/"), cpu: cpuMeter{pid: floor.cmd.Process.Pid}},
		{name: "AWS Lambda Runtime Interface Emulator", do: post(rieURL), cpu: cpuMeter{pid: rie.cmd.Process.Pid}},
		{name: "Hearth, SigV4-signed net/http request", do: signedInvoke(client, h.addr, "peer"), cpu: cpuMeter{pid: h.cmd.Process.Pid}},
		{name: "Hearth, aws-sdk-go-v2 Invoke", do: func() error { return invoke(ctx, h.Lambda, "peer", "", []byte(`{}`), false).Err },
			cpu: cpuMeter{pid: h.cmd.Process.Pid}},
	}
	for _, tg := range targets { // warm up connections and environments
		for range 20 {
			if err := tg.do(); err != nil {
				return nil, fmt.Errorf("%s: %w", tg.name, err)
			}
		}
	}
	for range rounds {
		for _, tg := range targets {
			tg.cpu.measure(seq/rounds, func() {
				t0 := time.Now()
				if err := tg.do(); err != nil {
					r.problem("%s: %v", tg.name, err)
					return
				}
				tg.lat = append(tg.lat, time.Since(t0))
			})
			ld := load(1, perRound, 20, tg.do)
			if ld.fail > 0 {
				r.problem("%s throughput: %d failed, first: %v", tg.name, ld.fail, ld.first)
			}
			tg.rps = append(tg.rps, ld.rate())
		}
	}
	t := Table{
		Title:   fmt.Sprintf("Warm invocation against the peer and the floor, same run, concurrency 1 (%d sequential calls each, %d interleaved rounds)", seq, rounds),
		Columns: []string{"server", "p50 (ms)", "p99 (ms)", "p99.9 (ms)", "req/s", "p50 ÷ floor", "p50 ÷ emulator", "req/s ÷ emulator"},
		Notes: []string{fmt.Sprintf("First (cold) invocation: emulator %s ms (bootstrap spawn and init), Hearth %s ms end to end (Init Duration %s ms). "+
			"The emulator serves one request at a time and takes no SigV4; Hearth's plain row signs each request with SigV4, "+
			"its SDK row adds the client's own cost. req/s is the median of the rounds.",
			fmtDur(rieCold), fmtDur(hearthCold.Latency()), fmtMs(hearthCold.InitMs))},
	}
	fl, em := targets[0], targets[1]
	keys := []string{"floor", "emulator", "hearth_signed", "hearth_sdk"}
	for i, tg := range targets {
		p50, rps := msOf(tg.lat.pct(50)), pctF(tg.rps, 50)
		t.row(tg.name, fmtDur(tg.lat.pct(50)), fmtDur(tg.lat.pct(99)), fmtDur(tg.lat.pct(99.9)), fmt.Sprintf("%.0f", rps),
			ratio(p50, msOf(fl.lat.pct(50))), ratio(p50, msOf(em.lat.pct(50))), ratio(rps, pctF(em.rps, 50)))
		r.Metrics["peer."+keys[i]+".p50_ms"] = p50
		r.Metrics["peer."+keys[i]+".p99_ms"] = msOf(tg.lat.pct(99))
		r.Metrics["peer."+keys[i]+".rps"] = rps
	}
	r.Tables = append(r.Tables, cpuTable(targets, seq))
	for i, tg := range targets {
		srv, fn := tg.cpu.perCall()
		r.Metrics["peer."+keys[i]+".server_cpu_us"] = srv
		r.Metrics["peer."+keys[i]+".function_cpu_us"] = fn
		ss, fs := tg.cpu.switchesPerCall()
		r.Metrics["peer."+keys[i]+".server_sleeps"] = ss
		r.Metrics["peer."+keys[i]+".function_sleeps"] = fs
	}
	r.Metrics["peer.emulator.cold_ms"] = msOf(rieCold)
	r.Metrics["peer.hearth.cold_ms"] = msOf(hearthCold.Latency())
	r.Tables = append(r.Tables, t)
	return r, nil
}

// cpuTable is the CPU per warm call of each server and its environments,
// against the emulator's and the target of 0.85× the emulator.
func cpuTable(targets []*target, seq int) Table {
	t := Table{
		Title: fmt.Sprintf("CPU per warm invocation, from each process's CPU-time clock over the %d sequential calls of each server", seq),
		Columns: []string{"server", "server CPU (µs)", "function CPU (µs)", "total (µs)", "total ÷ emulator", "target",
			"server / function sleeps per call"},
		Notes: []string{"Server is the server's own process (Hearth, the emulator, the floor); function is every living " +
			"descendant of it — the environment's init and bootstrap. The client's CPU is not counted. " +
			"Each process's CPU is read from its CPU-time clock (clock_getcpuclockid), to the nanosecond, with /proc/PID/stat's 10 ms ticks as the fallback. " +
			"Sleeps are the voluntary context switches of all their threads (/proc/PID/task/TID/status): each is a thread going to sleep, paid for by a wake-up later."},
	}
	es, ef := targets[1].cpu.perCall()
	for i, tg := range targets {
		s, f := tg.cpu.perCall()
		target := ""
		if i >= 2 {
			target = "≤ 0.85×"
		}
		ss, fs := tg.cpu.switchesPerCall()
		t.row(tg.name, fmt.Sprintf("%.0f", s), fmt.Sprintf("%.0f", f), fmt.Sprintf("%.0f", s+f), ratio(s+f, es+ef), target,
			fmt.Sprintf("%.1f / %.1f", ss, fs))
	}
	return t
}

// signedInvoke invokes a Hearth function with a bare SigV4-signed request.
func signedInvoke(client *http.Client, addr, fn string) func() error {
	url := "http://" + addr + "/2015-03-31/functions/" + fn + "/invocations"
	body := []byte(`{}`)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
	return func() error {
		req, err := http.NewRequest("POST", url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if err := signer.SignHTTP(context.Background(), creds, req, hash, "lambda", benchRegion, time.Now()); err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
			return fmt.Errorf("status %d, function error %q", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
		}
		return nil
	}
}

// proc is a helper process the benchmark started.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startProc starts cmd and waits until addr accepts connections.
func startProc(cmd *exec.Cmd, addr string) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its children go with it
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }() // owned by p: ends with the process
	switch waitListening(addr, p.done, 20*time.Second) {
	case nil:
		return p, nil
	case errExited:
		return nil, fmt.Errorf("%s exited at start", filepath.Base(cmd.Path))
	}
	stopProc(p)
	return nil, fmt.Errorf("%s did not listen on %s", filepath.Base(cmd.Path), addr)
}

// errExited says the process exited before it listened.
var errExited = errors.New("exited before listening")

// waitListening waits until addr accepts connections, the process's done
// channel closes (errExited), or timeout passes.
func waitListening(addr string, done <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return errExited
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not accept connections within %v", addr, timeout)
}

// stopProc ends a helper process and its process group (the emulator's
// bootstrap): SIGTERM, SIGKILL after 5 s.
func stopProc(p *proc) {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // a bootstrap left behind
}
