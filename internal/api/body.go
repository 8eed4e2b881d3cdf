package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hearth-run/hearth/internal/api/sigv4"
)

// DefaultMaxBodyBytesInFlight is the default server-wide cap on request
// body bytes held at once (Options.MaxBodyBytesInFlight).
const DefaultMaxBodyBytesInFlight = 256 << 20

// readChunk is how much of a body is reserved and read at a time when its
// length is not declared.
const readChunk = 64 << 10

// errBodyTooLarge marks a request body over the route's limit.
var errBodyTooLarge = errors.New("request body too large")

// bodyBudget bounds the request body bytes all requests hold at once, so that
// many large uploads at the same time are refused rather than held in memory.
type bodyBudget struct {
	max  int64
	used atomic.Int64
}

// take reserves n bytes, or reports false when that would pass the cap.
func (b *bodyBudget) take(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

func (b *bodyBudget) give(n int64) { b.used.Add(-n) }

// overloaded answers a request whose body does not fit in the budget.
func overloaded() *awsError {
	e := errorf(http.StatusTooManyRequests, typeTooMany,
		"Too many request bytes in flight; retry the request later")
	e.Reason = "CallerRateLimitExceeded"
	return e
}

// authenticate checks a request in the order that costs a hostile client
// the most and Hearth the least: the signature's head first (header,
// date, scope, key), then the declared length against the route's limit,
// then the body, read through the limit and the server's budget and hashed
// as it streams, and last the signature over that hash. mustSign names
// headers the signature has to cover. release gives the body's reservation
// back; the caller calls it when done with body.
func (s *Server) authenticate(r *http.Request, service string, limit int64, mustSign ...string) (body []byte, release func(), err error) {
	body, _, release, err = s.authenticateID(r, service, limit, mustSign...)
	return body, release, err
}

// authenticateID is authenticate that also returns who signed the request.
func (s *Server) authenticateID(r *http.Request, service string, limit int64, mustSign ...string) (body []byte, id sigv4.Identity, release func(), err error) {
	release = func() {}
	p, err := s.opts.Verifier.Authenticate(r)
	if err != nil {
		return nil, id, release, err
	}
	if err := s.checkScope(p.Identity(), service); err != nil {
		return nil, id, release, err
	}
	for _, h := range mustSign {
		if err := p.RequireSigned(h); err != nil {
			return nil, id, release, err
		}
	}
	if r.ContentLength > limit {
		return nil, id, release, errBodyTooLarge
	}
	body, sum, release, err := s.readBody(r, limit)
	if err != nil {
		return nil, id, release, err
	}
	if id, err = p.Finish(sum, int64(len(body))); err != nil {
		return nil, id, release, err
	}
	return body, id, release, nil
}

// checkScope refuses a credential scoped to another service or region.
func (s *Server) checkScope(id sigv4.Identity, service string) error {
	if id.Service != service && id.Service != "lambda" && id.Service != "events" && id.Service != "logs" {
		return unknownService(id.Service)
	}
	if err := id.CheckService(service); err != nil {
		return err
	}
	return id.CheckRegion(s.opts.Region)
}

// unknownService answers a request signed for a service Hearth does not
// provide: it is not a signing mistake, so it is not reported as one.
func unknownService(service string) *awsError {
	return errorf(http.StatusBadRequest, "UnknownOperationException",
		"Hearth does not provide the '"+sanitize(service)+"' service; it speaks Lambda ('lambda'), EventBridge ('events') and CloudWatch Logs ('logs')")
}

// readBody reads r's body through limit and the server's budget, hashing it
// as it streams. It never allocates from the declared length: the buffer
// grows with the bytes that arrive.
func (s *Server) readBody(r *http.Request, limit int64) (body []byte, sum [sha256.Size]byte, release func(), err error) {
	if fb, ok := r.Body.(*frontBody); ok {
		return s.readFrontBody(fb)
	}
	var reserved int64
	release = func() { s.budget.give(reserved) }
	if r.ContentLength > 0 {
		if !s.budget.take(r.ContentLength) {
			return nil, sum, release, overloaded()
		}
		reserved = r.ContentLength
	}
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(r.Body, limit+1), h)
	var buf bytes.Buffer
	for {
		if int64(buf.Len())+readChunk > reserved && r.ContentLength <= 0 {
			if !s.budget.take(readChunk) {
				return nil, sum, release, overloaded()
			}
			reserved += readChunk
		}
		n, rerr := io.CopyN(&buf, src, readChunk)
		if int64(buf.Len()) > limit {
			return nil, sum, release, errBodyTooLarge
		}
		if rerr == io.EOF || n < readChunk && rerr == nil {
			break
		}
		if rerr != nil {
			return nil, sum, release, errorf(http.StatusBadRequest, typeInvalidContent, "could not read request body")
		}
	}
	h.Sum(sum[:0])
	return buf.Bytes(), sum, release, nil
}

// readFrontBody reads the body of a request the Front serves, whose length
// is declared and within the route's limit: one allocation of that length
// once the budget allows it. The reservation is given back by the Front
// when the handler returns.
func (s *Server) readFrontBody(fb *frontBody) (body []byte, sum [sha256.Size]byte, release func(), err error) {
	release = func() {}
	n := fb.n
	if n > 0 {
		if !s.budget.take(n) {
			return nil, sum, release, overloaded()
		}
		fb.reserved += n
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(fb, body); err != nil {
		return nil, sum, release, errorf(http.StatusBadRequest, typeInvalidContent, "could not read request body")
	}
	return body, sha256.Sum256(body), release, nil
}

// maxInvokeAnswer is how long an Invoke's answer may take: Lambda's longest
// function timeout and a minute for the rest.
const maxInvokeAnswer = 16 * time.Minute

// extendDeadlines lifts the server's read deadline once the body is in (net/http would
// otherwise cancel the request's context when it passes during a long
// handler) and gives Invoke's answer up to maxInvokeAnswer instead of the
// server's write timeout.
func extendDeadlines(w http.ResponseWriter, op string) {
	if fw, ok := w.(*frontWriter); ok {
		// The Front does not read while the handler runs and sets the
		// write deadline as it writes.
		fw.extended = op == "InvokeFunction" || op == "InvokeWithResponseStream"
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	if op == "InvokeFunction" || op == "InvokeWithResponseStream" {
		_ = rc.SetWriteDeadline(time.Now().Add(maxInvokeAnswer))
	}
}

// tooLarge is the answer to a body over an operation's limit.
func tooLarge(op string, limit int64) *awsError {
	e := errorf(http.StatusRequestEntityTooLarge, typeEntityTooLarge,
		"Request must be smaller than "+strconv.FormatInt(limit, 10)+" bytes for the "+op+" operation")
	if op == "InvokeFunction" || op == "InvokeWithResponseStream" {
		e.Type = typeTooLarge
	}
	return e
}
