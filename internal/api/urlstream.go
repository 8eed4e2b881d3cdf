package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// httpPreludeType is the content type of a streamed response that begins
// with an HttpResponseStream prelude: JSON metadata (statusCode, headers,
// cookies), eight NUL bytes, then the body.
const httpPreludeType = "application/vnd.awslambda.http-integration-response"

// preludeEnd separates the prelude from the body.
var preludeEnd = make([]byte, 8)

// maxPrelude bounds the metadata read before the body starts.
const maxPrelude = 64 << 10

// urlSink forwards a streamed response to a RESPONSE_STREAM function URL's
// client with chunked transfer, taking status and headers from the
// HttpResponseStream prelude when there is one.
type urlSink struct {
	// mu guards every field below and the writes to w.
	mu          sync.Mutex
	w           http.ResponseWriter
	rc          *http.ResponseController
	contentType string
	prelude     bool   // the body starts with a prelude still being read
	pending     []byte // prelude bytes read so far
	started     bool
	closed      bool
}

// Begin notes the runtime's content type.
func (u *urlSink) Begin(contentType string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.contentType = contentType
	u.prelude = contentType == httpPreludeType
	return nil
}

// Write forwards p, after the prelude has been read and applied.
func (u *urlSink) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return 0, errSinkClosed
	}
	n := len(p)
	if u.prelude {
		u.pending = append(u.pending, p...)
		i := bytes.Index(u.pending, preludeEnd)
		if i < 0 && len(u.pending) <= maxPrelude {
			return n, nil
		}
		if i < 0 {
			i = 0 // not a prelude after all: it is all body
			u.start(nil)
		} else {
			u.start(u.pending[:i])
			i += len(preludeEnd)
		}
		p, u.prelude = u.pending[i:], false
	}
	u.start(nil)
	if len(p) > 0 {
		if _, err := u.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, u.rc.Flush()
}

// start sends the status and headers: from the prelude's metadata when
// given, else 200 with the runtime's content type. Called with mu held.
func (u *urlSink) start(meta []byte) {
	if u.started {
		return
	}
	u.started = true
	_ = u.rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as the function
	var m struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Cookies    []string          `json:"cookies"`
	}
	if meta != nil {
		_ = json.Unmarshal(meta, &m)
	}
	h := u.w.Header()
	if u.contentType != "" && u.contentType != httpPreludeType {
		h.Set("Content-Type", u.contentType)
	}
	applyResponseHead(h, m.Headers, m.Cookies)
	if m.StatusCode < 100 || m.StatusCode > 599 {
		m.StatusCode = http.StatusOK
	}
	u.w.WriteHeader(m.StatusCode)
}

// close ends the forwarding; it reports whether the response had begun.
func (u *urlSink) close() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.closed = true
	if u.prelude && len(u.pending) > 0 && !u.started {
		// The stream ended inside what should have been a prelude.
		u.start(nil)
		_, _ = u.w.Write(u.pending)
	}
	return u.started
}

// streamURL serves a RESPONSE_STREAM URL: the response reaches the client
// while the function writes it. A function that answers without streaming
// is mapped like a BUFFERED URL's answer.
func (s *Server) streamURL(w http.ResponseWriter, r *http.Request, req *InvokeRequest) {
	sink := &urlSink{w: w, rc: http.NewResponseController(w)}
	req.Stream = sink
	res, err := s.opts.Invoker.Invoke(r.Context(), req)
	if sink.close() {
		if err == nil && res.FunctionError != "" {
			s.log.InfoContext(r.Context(), "streamed function URL response ended with an error",
				"function", req.Function, "error", string(res.Payload))
		}
		return
	}
	if err == nil && res.Streamed && res.FunctionError == "" {
		// An empty stream: a 200 without a body.
		w.Header().Set("Content-Length", strconv.Itoa(0))
		w.WriteHeader(http.StatusOK)
		return
	}
	s.writeURLResult(w, r, res, err)
}
