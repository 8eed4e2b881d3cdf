package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

const (
	benchKeyID  = "AKIAHEARTHBENCH00001"
	benchSecret = "hearth-bench-secret-key-000000000000000"
	benchRegion = "us-east-1"
)

// hearthProc is one running `hearth serve` on a temporary data dir.
type hearthProc struct {
	addr     string
	dataDir  string
	keepData bool // Stop leaves dataDir for another hearth (restartHearth)
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	http     *http.Client
	Lambda   *lambda.Client

	mu     sync.Mutex // guards cold and tail
	cold   map[string]coldLine
	phases map[string]map[string]float64 // debug start phases by environment, until its cold line
	tail   []string                      // the last log lines, for errors
	lines  int
}

// coldLine is what Hearth logged about one cold start.
type coldLine struct {
	SandboxMs, InitMs float64
	Reason            string
	Prestarted        bool // a pre-started interpreter served it
	// Phases are the isolated start's moments, ms since the sandbox's
	// Start (Hearth's debug line "sandbox: start phases"; nil without it).
	Phases map[string]float64
}

// startHearth runs hearth serve with extra flags and waits until it listens.
func startHearth(tb *toolbox, extra ...string) (*hearthProc, error) {
	bin, err := tb.hearth()
	if err != nil {
		return nil, err
	}
	return startHearthBinary(tb, bin, extra...)
}

// startHearthBinary runs the hearth binary bin as startHearth does.
func startHearthBinary(tb *toolbox, bin string, extra ...string) (*hearthProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp(tb.dir, "data")
	if err != nil {
		return nil, err
	}
	return startHearthIn(bin, dataDir, addr, extra...)
}

// restartHearth stops h and starts the same binary, with extra flags, on
// its data dir.
func restartHearth(h *hearthProc, extra ...string) (*hearthProc, error) {
	h.keepData = true
	h.Stop()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return startHearthIn(h.cmd.Path, h.dataDir, addr, extra...)
}

// startHearthIn runs the hearth binary bin on dataDir, listening on addr.
func startHearthIn(bin, dataDir, addr string, extra ...string) (*hearthProc, error) {
	h := &hearthProc{addr: addr, dataDir: dataDir, cold: map[string]coldLine{}, phases: map[string]map[string]float64{}, done: make(chan struct{})}
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir}, extra...)
	h.cmd = exec.Command(bin, args...)
	h.cmd.Env = append(os.Environ(), "HEARTH_ACCESS_KEY_ID="+benchKeyID, "HEARTH_SECRET_ACCESS_KEY="+benchSecret)
	pr, pw := io.Pipe()
	h.cmd.Stdout, h.cmd.Stderr = pw, pw
	if err := h.cmd.Start(); err != nil {
		return nil, err
	}
	scanned := make(chan struct{})
	go func() { // owned by h: ends when the pipe closes after the process exits
		defer close(scanned)
		h.scan(pr)
	}()
	go func() { // owned by h: closes done after the process exits
		_ = h.cmd.Wait()
		pw.Close()
		<-scanned
		close(h.done)
	}()
	h.http = &http.Client{Timeout: 2 * time.Minute, Transport: newTransport()}
	h.Lambda = lambda.New(lambda.Options{
		Region:           benchRegion,
		BaseEndpoint:     aws.String("http://" + addr),
		Credentials:      credentials.NewStaticCredentialsProvider(benchKeyID, benchSecret, ""),
		HTTPClient:       h.http,
		RetryMaxAttempts: 1,
	})
	wait := 30 * time.Second
	if slices.Contains(extra, "--cluster") {
		wait = 2 * time.Minute // a new cluster first elects its JetStream leader
	}
	switch waitListening(addr, h.done, wait) {
	case nil:
		return h, nil
	case errExited:
		return nil, fmt.Errorf("hearth exited at start:\n%s", h.logTail())
	}
	h.Stop()
	return nil, fmt.Errorf("hearth did not listen on %s", addr)
}

// newTransport keeps enough idle connections for the widest burst.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     90 * time.Second,
	}
}

// scan keeps Hearth's "cold start" log lines by environment, and a short
// tail of everything for error messages.
func (h *hearthProc) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		h.mu.Lock()
		h.tail = append(h.tail, line)
		if len(h.tail) > 40 {
			h.tail = h.tail[1:]
		}
		if strings.Contains(line, `msg="cold start"`) {
			kv := logFields(line)
			sb, _ := strconv.ParseFloat(kv["sandbox_ms"], 64)
			in, _ := strconv.ParseFloat(kv["init_ms"], 64)
			h.cold[kv["env"]] = coldLine{SandboxMs: sb, InitMs: in, Reason: kv["reason"], Prestarted: kv["prestarted"] == "true",
				Phases: h.phases[kv["env"]]}
			delete(h.phases, kv["env"])
		}
		if strings.Contains(line, `msg="sandbox: start phases"`) {
			kv := logFields(line)
			ph := map[string]float64{}
			for k, v := range kv {
				if us, err := strconv.ParseFloat(v, 64); err == nil && strings.HasSuffix(k, "_us") {
					ph[strings.TrimSuffix(k, "_us")] = us / 1000
				}
			}
			h.phases[kv["env"]] = ph
		}
		h.mu.Unlock()
	}
}

// logFields splits a slog text line into its key=value pairs.
func logFields(line string) map[string]string {
	out := map[string]string{}
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		k, rest, ok := strings.Cut(line, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			if q, err := strconv.QuotedPrefix(rest); err == nil {
				v, _ = strconv.Unquote(q)
				rest = rest[len(q):]
			}
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		out[k] = v
		line = rest
	}
	return out
}

// coldStart returns what Hearth logged about the cold start of the
// environment behind a log stream name ("…/[$LATEST]<env id>"). Hearth
// writes the line before it answers, but the benchmark reads its output
// concurrently, so the line may arrive a moment after the answer.
func (h *hearthProc) coldStart(stream string) (coldLine, bool) {
	id := stream[strings.LastIndexByte(stream, ']')+1:]
	deadline := time.Now().Add(2 * time.Second)
	for {
		h.mu.Lock()
		c, ok := h.cold[id]
		h.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return c, ok
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *hearthProc) logTail() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.tail, "\n")
}

// Stop ends Hearth with SIGTERM (SIGKILL after 20 s) and removes its data.
func (h *hearthProc) Stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
	h.http.CloseIdleConnections()
	if !h.keepData {
		os.RemoveAll(h.dataDir)
	}
}

// signed sends a SigV4-signed request to Hearth's API and returns the status
// and body.
func (h *hearthProc) signed(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+h.addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret},
		req, hex.EncodeToString(sum[:]), "lambda", benchRegion, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// environment is one entry of GET /hearth/environments.
type environment struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Frozen bool   `json:"frozen"`
	Pid    int    `json:"pid"`
}

// environments lists the live environments of a function.
func (h *hearthProc) environments(ctx context.Context, function string) ([]environment, error) {
	status, raw, err := h.signed(ctx, "GET", "/hearth/environments?function="+function, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("list environments: %d %s", status, raw)
	}
	var out struct{ Environments []environment }
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out.Environments, nil
}

// rssMB returns the resident memory of a process in MiB.
func rssMB(pid int) (float64, error) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
