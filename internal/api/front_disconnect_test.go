package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// waitInvoker holds each Invoke until its context ends or the test
// releases it, and reports which came first: how Hearth's invoker sees a
// client that goes away.
type waitInvoker struct {
	echoInvoker
	started chan struct{}
	release chan struct{}
	outcome chan error // nil: released; else the context's error
}

var errNotEnded = errors.New("neither cancelled nor released")

func newWaitInvoker() *waitInvoker {
	return &waitInvoker{started: make(chan struct{}, 4), release: make(chan struct{}, 4), outcome: make(chan error, 4)}
}

func (w *waitInvoker) Invoke(ctx context.Context, req *InvokeRequest) (*InvokeResult, error) {
	w.started <- struct{}{}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
		w.outcome <- ctx.Err()
	case <-w.release:
		w.outcome <- nil
	case <-t.C:
		w.outcome <- errNotEnded
	}
	return echoInvoker{}.Invoke(ctx, req)
}

// TestFrontCancelsOnDisconnect holds the Front to net/http's handling of
// a client that goes away while its Invoke runs: net/http cancels the
// request's context when the connection ends or is half-closed after the
// body, and not while the client waits or sends its next request. The
// same server is served both ways; each case must come out alike, and as
// stated.
func TestFrontCancelsOnDisconnect(t *testing.T) {
	raw := signedRaw(t, "/2015-03-31/functions/f/invocations", []byte(`{"a":1}`), nil)
	empty := signedRaw(t, "/2015-03-31/functions/f/invocations", nil, nil)
	tests := []struct {
		name    string
		req     string
		then    func(c *net.TCPConn) error // what the client does while the Invoke runs
		cancels bool
		answers int // read after the release when the Invoke is not cancelled
	}{
		{"close", raw, func(c *net.TCPConn) error { return c.Close() }, true, 0},
		{"close, no body", empty, func(c *net.TCPConn) error { return c.Close() }, true, 0},
		{"half-close", raw, func(c *net.TCPConn) error { return c.CloseWrite() }, true, 0},
		{"reset", raw, func(c *net.TCPConn) error { _ = c.SetLinger(0); return c.Close() }, true, 0},
		{"wait", raw, func(*net.TCPConn) error { return nil }, false, 1},
		{"next request", raw, func(c *net.TCPConn) error { _, err := io.WriteString(c, raw); return err }, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newWaitInvoker()
			ref, front, _ := frontPairOf(t, inv)
			for _, path := range []struct{ name, addr string }{{"net/http", ref}, {"front", front}} {
				c, err := net.DialTimeout("tcp", path.addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(15 * time.Second))
				if _, err := io.WriteString(c, tt.req); err != nil {
					t.Fatal(err)
				}
				<-inv.started
				if err := tt.then(c.(*net.TCPConn)); err != nil {
					t.Fatal(err)
				}
				if !tt.cancels {
					// Long enough for a wrong cancel to be seen; a right
					// implementation passes however long it is.
					time.Sleep(300 * time.Millisecond)
					for range tt.answers {
						inv.release <- struct{}{}
					}
				}
				got := <-inv.outcome
				if tt.cancels != errors.Is(got, context.Canceled) {
					t.Fatalf("%s: the Invoke ended with %v; cancelled: want %v", path.name, got, tt.cancels)
				}
				if tt.cancels {
					continue
				}
				br := bufio.NewReader(c)
				for i := range tt.answers {
					if i > 0 {
						<-inv.started
						if err := <-inv.outcome; err != nil {
							t.Fatalf("%s: next Invoke: %v", path.name, err)
						}
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Fatalf("%s: answer %d: %v", path.name, i+1, err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("%s: answer %d: status %d", path.name, i+1, resp.StatusCode)
					}
				}
			}
		})
	}
}
