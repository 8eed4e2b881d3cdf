package runtimeapi

import (
	"io"
	"net/http"
	"strconv"
)

// Stream receives a response that the runtime streams (POST .../response
// with Lambda-Runtime-Function-Response-Mode: streaming, usually chunked),
// as it arrives. Begin is called once, before any Write, with the
// Content-Type the runtime declared; each Write carries bytes as they were
// read and should reach the client at once. A Write error stops the
// forwarding, not the invocation: the rest of the body is read and
// dropped.
type Stream interface {
	Begin(contentType string) error
	Write(p []byte) (int, error)
}

// hdrResponseMode selects a streamed response.
const hdrResponseMode = "Lambda-Runtime-Function-Response-Mode"

// MaxStreamedBytes is Lambda's limit on a streamed response: 20 MiB.
// Past it the runtime is answered 413 and the caller gets a
// Function.ResponseSizeTooLarge result after the bytes already sent.
const MaxStreamedBytes = 20 << 20

// streamChunk is the most forwarded per read of the runtime's body.
const streamChunk = 32 << 10

// isStreamed reports whether an outcome post streams its body to c's
// Stream, when the caller gave one: a /response in streaming mode, or
// with a body of unknown length. aws-lambda-go streams a handler's
// io.Reader result that way (chunked, without the mode header), and
// Lambda streams it to a streaming caller.
func isStreamed(r *http.Request, c *call, isError bool) bool {
	return !isError && c.stream != nil && (r.Header.Get(hdrResponseMode) == "streaming" || r.ContentLength < 0)
}

// handleStream forwards a streamed /response to the caller's Stream and
// then completes the invocation like any outcome. Errors the runtime
// reports in trailers (Lambda-Runtime-Function-Error-Type and -Body) make
// it an error result.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request, c *call) {
	sink := c.stream
	sinkErr := sink.Begin(r.Header.Get(hdrContentType))
	buf := make([]byte, streamChunk)
	var total int
	tooLarge := false
	for {
		n, err := r.Body.Read(buf)
		if n > 0 && !tooLarge {
			if total += n; total > MaxStreamedBytes {
				tooLarge = true
			} else if sinkErr == nil {
				_, sinkErr = sink.Write(buf[:n])
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// The runtime hung up mid-stream; the invocation stays current
			// until it posts again or times out.
			s.log.Debug("reading streamed response", "request_id", c.id, "err", err)
			return
		}
	}
	res := Result{Streamed: true}
	switch {
	case tooLarge:
		res = s.tooLargeResult()
		res.Streamed = true
	default:
		if t := r.Trailer[hdrFunctionErrorType]; len(t) > 0 && t[0] != "" {
			res = trailerResult(t[0], r.Trailer[trlFunctionErrorBody], nil)
			res.Streamed = true
		}
	}
	if !s.complete(c, res) {
		writeJSON(w, http.StatusBadRequest, bodyInvalidRequestID)
		return
	}
	if tooLarge {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody(
			"Exceeded maximum allowed payload size ("+strconv.Itoa(MaxStreamedBytes)+" bytes).", errRequestEntityTooLarge))
		return
	}
	writeJSON(w, http.StatusAccepted, bodyAccepted)
}

// complete hands res to the waiting Invoke if c is still the invocation in
// flight.
func (s *Server) complete(c *call, res Result) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != c {
		return false
	}
	s.cur = nil
	s.results <- res // capacity 1 and empty: only the owner of cur sends
	s.runtimeDoneLocked(c, res)
	return true
}
