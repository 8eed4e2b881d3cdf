package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

// frontHold is how much of an answer with a Content-Length the writer
// holds before it starts sending: answers up to it go out in one write.
const frontHold = 64 << 10

// frontWriter is the http.ResponseWriter of the requests the front serves.
// It renders the answer as net/http's server would — status line, the
// handler's header fields sorted by key, then Date, Content-Length,
// Content-Type and Connection as net/http adds them — so that a client
// cannot tell the two apart, and sends it with one write.
type frontWriter struct {
	fc     *frontConn
	h      http.Header
	status int
	// extended is set by extendDeadlines: the answer of an Invoke may take
	// up to maxInvokeAnswer to write instead of the server's WriteTimeout.
	extended bool
	body     []byte // held until finish or frontHold
	sent     bool   // the head is written
	close    bool   // Connection: close; the connection ends after
	// vals back the values of the answer's headers (invoke.go).
	vals    [6]string
	num     [20]byte
	date    [len(http.TimeFormat) + 2]byte
	dateSec int64
}

func (w *frontWriter) reset() {
	clear(w.h)
	w.status, w.extended, w.sent, w.close = 0, false, false, false
	if cap(w.body) > frontHold {
		w.body = nil
	}
	w.body = w.body[:0]
}

func (w *frontWriter) Header() http.Header { return w.h }

func (w *frontWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

func (w *frontWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.sent {
		return w.fc.bw.Write(p)
	}
	w.body = append(w.body, p...)
	if len(w.body) > frontHold && len(w.h["Content-Length"]) == 1 {
		w.writeHead(false)
		_, err := w.fc.bw.Write(w.body)
		w.body = w.body[:0]
		return len(p), err
	}
	return len(p), nil
}

// requestID is the answer's request id, made now if the handler set none:
// every answer carries one, as from ServeHTTP, but an Invoke's own
// replaces it, so it is not made up front.
func (w *frontWriter) requestID() string {
	if v := w.h["X-Amzn-Requestid"]; len(v) > 0 {
		return v[0]
	}
	w.vals[0] = function.NewUUID()
	w.h["X-Amzn-Requestid"] = w.vals[0:1:1]
	return w.vals[0]
}

// finish completes the answer and sends it.
func (w *frontWriter) finish() error {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !w.sent {
		w.writeHead(true)
		_, _ = w.fc.bw.Write(w.body)
	}
	d := w.fc.f.opts.HTTP.WriteTimeout
	if w.extended {
		d = maxInvokeAnswer
	}
	w.fc.setWriteDeadline(d)
	return w.fc.bw.Flush()
}

// Headers net/http leaves out of answers without a body.
var (
	excludeNoBody = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}
	exclude304    = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Content-Type": true}
)

// writeHead writes the status line and header fields; done says the
// handler has returned, so the body held is all of it.
func (w *frontWriter) writeHead(done bool) {
	w.sent = true
	w.requestID()
	bw, hasBody := w.fc.bw, bodyAllowed(w.status)
	if !w.fc.keepAfterHandler() {
		w.close = true
	}
	_, _ = bw.WriteString("HTTP/1.1 ")
	_, _ = bw.Write(strconv.AppendInt(w.num[:0], int64(w.status), 10))
	if text := http.StatusText(w.status); text != "" {
		_ = bw.WriteByte(' ')
		_, _ = bw.WriteString(text)
	} else {
		_, _ = bw.WriteString(" status code ")
		_, _ = bw.Write(strconv.AppendInt(w.num[:0], int64(w.status), 10))
	}
	_, _ = bw.WriteString("\r\n")
	var exclude map[string]bool
	switch {
	case w.status == http.StatusNotModified:
		exclude = exclude304
	case !hasBody:
		exclude = excludeNoBody
	}
	if w.close {
		delete(w.h, "Connection")
	}
	_ = w.h.WriteSubset(bw, exclude)
	if _, ok := w.h["Date"]; !ok {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.Write(w.dateNow())
		_, _ = bw.WriteString("\r\n")
	}
	if _, ok := w.h["Content-Length"]; !ok && done && hasBody {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(w.num[:0], int64(len(w.body)), 10))
		_, _ = bw.WriteString("\r\n")
	}
	_, haveType := w.h["Content-Type"]
	if hasBody && !haveType && len(w.body) > 0 && w.h.Get("Content-Encoding") == "" {
		_, _ = bw.WriteString("Content-Type: ")
		_, _ = bw.WriteString(http.DetectContentType(w.body))
		_, _ = bw.WriteString("\r\n")
	}
	if w.close {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	if !hasBody {
		w.body = w.body[:0]
	}
}

// dateNow is the Date header's value, formatted once a second.
func (w *frontWriter) dateNow() []byte {
	now := time.Now().UTC()
	if sec := now.Unix(); sec != w.dateSec {
		w.dateSec = sec
		now.AppendFormat(w.date[:0], http.TimeFormat)
	}
	return w.date[:len(http.TimeFormat)]
}

// bodyAllowed reports whether an answer with status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
