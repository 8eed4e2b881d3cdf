package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/logs"
	"github.com/hearth-run/hearth/internal/pool"
)

// errorBody is Lambda's error payload for failures of the platform rather
// than of the handler's code.
func errorBody(typ, msg string) []byte {
	b, _ := json.Marshal(struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}{typ, msg})
	return b
}

// failure classifies an invocation that got no answer from the runtime: the
// process exited (crash, out of memory) or the deadline passed. It writes
// Lambda's log line for it and returns the payload, the REPORT status and
// the error type.
func (iv *Invoker) failure(env *pool.Environment, requestID string, vs *versionSpec, err error) ([]byte, string, string) {
	stream := env.Stream()
	if exited, oom, exitErr := waitExit(env, err); exited {
		typ := errdefs.RuntimeExitError
		if oom {
			typ = errdefs.RuntimeOutOfMemory
		}
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", requestID, exitErr)
		if oom && exitErr == nil {
			msg = "RequestId: " + requestID + " Error: Runtime exited with error: signal: killed"
		}
		fmt.Fprintf(stream, "%s\n%s\n", msg, typ)
		return errorBody(typ, msg), "error", typ
	}
	if errors.Is(err, context.DeadlineExceeded) {
		msg := fmt.Sprintf("Task timed out after %.2f seconds", float64(vs.config.TimeoutSec))
		stream.TimedOut(requestID, time.Duration(vs.config.TimeoutSec)*time.Second)
		return errorBody(errdefs.SandboxTimedout, "RequestId: "+requestID+" Error: "+msg), "timeout", ""
	}
	iv.log.Error("invocation failed", "function", vs.config.Name, "request", requestID, "err", err)
	return errorBody(errdefs.RuntimeUnknown, "RequestId: "+requestID+" Error: "+err.Error()), "error", errdefs.RuntimeUnknown
}

// waitExit reports whether the environment's process exited. An invocation
// that ended because of the exit may see the context error a moment before
// the process's status is collected, so it waits briefly in that case.
func waitExit(env *pool.Environment, err error) (bool, bool, error) {
	if exited, oom, exitErr := env.Exited(); exited {
		return true, oom, exitErr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false, false, nil
	}
	for range 50 {
		time.Sleep(2 * time.Millisecond)
		if exited, oom, exitErr := env.Exited(); exited {
			return true, oom, exitErr
		}
	}
	return false, false, nil
}

// initFailed answers an invocation whose environment could not initialise,
// with the error the runtime reported or Lambda's words for the failure.
func (iv *Invoker) initFailed(res *Result, err error) (*Result, error) {
	var ie *pool.InitError
	if !errors.As(err, &ie) {
		return nil, err
	}
	res.FunctionError = "Unhandled"
	if len(ie.Body) > 0 {
		res.Payload = ie.Body
	} else {
		res.Payload = errorBody(ie.Type, "RequestId: "+res.RequestID+" Error: "+ie.Message)
	}
	return res, nil
}

// acquireFailed answers a request whose environment failed Init, after
// writing the request's lines below the Init's trail: START, Lambda's
// error line, END and REPORT with the error type.
func (iv *Invoker) acquireFailed(req *Request, res *Result, acq pool.Acquisition, vs *versionSpec, err error) (*Result, error) {
	stream := acq.InitLog
	var ie *pool.InitError
	if stream == nil || !errors.As(err, &ie) {
		if stream != nil {
			_ = stream.Close()
		}
		return iv.initFailed(res, err)
	}
	defer stream.Close()
	env, requestID := acq.Env, res.RequestID
	stream.Start(requestID, vs.config.Version)
	if ie.Type == errdefs.RuntimeExitError || ie.Type == errdefs.RuntimeOutOfMemory {
		fmt.Fprintf(stream, "RequestId: %s Error: %s\n%s\n", requestID, ie.Message, ie.Type)
	}
	stream.End(requestID)
	stream.Report(logs.Report{RequestID: requestID, Duration: env.InitDuration(), MemorySizeMB: vs.config.MemoryMB,
		MaxMemoryUsedMB: int((env.MaxMemoryBytes() + (1<<20 - 1)) >> 20), Status: "error", ErrorType: ie.Type})
	if req.LogTail {
		res.LogTail = stream.Tail()
	}
	return iv.initFailed(res, err)
}
