package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
)

// forward sends req to the target node and relays its answer. handled is
// false when the target never accepted the invocation: the caller then
// runs it here.
func (f *Forwarder) forward(ctx context.Context, target string, req *invoke.Request, at invoke.Placement) (*invoke.Result, bool, error) {
	r, err := f.replyInbox()
	if err != nil {
		return nil, false, nil
	}
	inbox, answers := r.open()
	defer r.done(inbox)
	env, _ := json.Marshal(wireRequest{Function: req.Function, Qualifier: req.Qualifier, LogTail: req.LogTail,
		ClientContext: req.ClientContext, TraceID: req.TraceID})
	msg := &nats.Msg{Subject: invokeSubject + target, Reply: inbox, Data: req.Payload, Header: nats.Header{}}
	msg.Header.Set(hdrRequest, string(env))
	if err := f.node.Conn.PublishMsg(msg); err != nil {
		return nil, false, nil
	}
	accepted := false
	silence := time.NewTimer(silenceLimit)
	defer silence.Stop()
	for {
		var m *nats.Msg
		select {
		case m = <-answers:
		case <-ctx.Done(): // the caller left; the target finishes the invocation
			return nil, true, ctx.Err()
		case <-silence.C:
			if !accepted {
				f.log.Warn("forwarded invocation not accepted; running it here", "function", req.Function, "node", target)
				return nil, false, nil
			}
			f.log.Error("node died during a forwarded invocation", "function", req.Function, "node", target)
			return died(at), true, nil
		}
		if m.Header.Get("Status") == "503" { // no responders: the node is gone and never saw it
			return nil, false, nil
		}
		switch m.Header.Get(hdrStage) {
		case "accepted", "running":
			accepted = true
			silence.Reset(silenceLimit)
			continue
		}
		return relayed(m)
	}
}

// replyInbox returns the node's reply subscription, made on first use.
func (f *Forwarder) replyInbox() (*replies, error) {
	f.replyMu.Lock()
	defer f.replyMu.Unlock()
	if f.replies == nil {
		r, err := newReplies(f.node.Conn)
		if err != nil {
			return nil, err
		}
		f.replies = r
	}
	return f.replies, nil
}

// died is the answer to an invocation whose node died while running it:
// what Lambda answers when an environment's runtime exits.
func died(at invoke.Placement) *invoke.Result {
	id := function.NewUUID()
	msg := "RequestId: " + id + " Error: Runtime exited without providing a reason"
	body, _ := json.Marshal(map[string]string{"errorType": errdefs.RuntimeExitError, "errorMessage": msg})
	return &invoke.Result{Status: http.StatusOK, Payload: body, FunctionError: "Unhandled", ExecutedVersion: at.Version, RequestID: id}
}

// relayed decodes the target's final message.
func relayed(m *nats.Msg) (*invoke.Result, bool, error) {
	var w wireResult
	if err := json.Unmarshal([]byte(m.Header.Get(hdrResult)), &w); err != nil {
		return nil, true, fmt.Errorf("forwarded invocation: bad answer: %w", err)
	}
	if w.Error != nil {
		return nil, true, w.Error.err()
	}
	return &invoke.Result{Status: w.Status, Payload: m.Data, FunctionError: w.FunctionError,
		ExecutedVersion: w.ExecutedVersion, LogTail: w.LogTail, RequestID: w.RequestID}, true, nil
}

// serve runs an invocation another node forwarded here and answers it.
func (f *Forwarder) serve(ctx context.Context, m *nats.Msg) {
	if m.Reply == "" {
		return
	}
	var w wireRequest
	if err := json.Unmarshal([]byte(m.Header.Get(hdrRequest)), &w); err != nil {
		return
	}
	nc := f.node.Conn
	stage := func(s string) {
		sm := &nats.Msg{Subject: m.Reply, Header: nats.Header{}}
		sm.Header.Set(hdrStage, s)
		_ = nc.PublishMsg(sm)
	}
	stage("accepted")
	done, alive := make(chan struct{}), make(chan struct{})
	go func() { // owned by serve: ends when done closes
		defer close(alive)
		tick := time.NewTicker(keepAlive)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				stage("running")
			}
		}
	}()
	req := &invoke.Request{Function: w.Function, Qualifier: w.Qualifier, Type: invoke.RequestResponse,
		Payload: m.Data, LogTail: w.LogTail, ClientContext: w.ClientContext, TraceID: w.TraceID}
	res, err := f.local.Invoke(invoke.Here(ctx), req)
	close(done)
	<-alive
	out := &nats.Msg{Subject: m.Reply, Header: nats.Header{}}
	var wr wireResult
	if err != nil {
		wr.Error = toWire(err)
	} else {
		wr = wireResult{Status: res.Status, FunctionError: res.FunctionError, ExecutedVersion: res.ExecutedVersion,
			LogTail: res.LogTail, RequestID: res.RequestID}
		out.Data = res.Payload
	}
	hdr, _ := json.Marshal(wr)
	out.Header.Set(hdrResult, string(hdr))
	if err := nc.PublishMsg(out); err != nil {
		f.log.Error("answer to a forwarded invocation lost", "function", w.Function, "err", err)
	}
}

// errorClasses are the errdefs classes an error keeps across a hop.
var errorClasses = map[string]error{
	"NotFound": errdefs.ErrNotFound, "Conflict": errdefs.ErrConflict, "Invalid": errdefs.ErrInvalid,
	"TooLarge": errdefs.ErrTooLarge, "Throttled": errdefs.ErrThrottled, "Unavailable": errdefs.ErrUnavailable,
}

// toWire encodes an invocation's error with its class and typed fields.
func toWire(err error) *wireError {
	var (
		te *errdefs.ThrottleError
		nf *errdefs.NotFoundError
	)
	switch {
	case errors.As(err, &te):
		return &wireError{Class: "Throttle", Reason: te.Reason, Message: err.Error()}
	case errors.As(err, &nf) && errors.Is(err, invoke.ErrFunctionNotFound):
		return &wireError{Class: "FunctionNotFound", ARN: nf.ARN, Message: err.Error()}
	}
	for name, class := range errorClasses {
		if errors.Is(err, class) {
			return &wireError{Class: name, Message: err.Error()}
		}
	}
	return &wireError{Message: err.Error()}
}

// err rebuilds the error toWire encoded.
func (w *wireError) err() error {
	switch w.Class {
	case "Throttle":
		return &errdefs.ThrottleError{Reason: w.Reason}
	case "FunctionNotFound":
		return &errdefs.NotFoundError{Err: invoke.ErrFunctionNotFound, ARN: w.ARN}
	}
	if class, ok := errorClasses[w.Class]; ok {
		return errdefs.New(class, w.Message)
	}
	return fmt.Errorf("forwarded invocation: %s", w.Message)
}
