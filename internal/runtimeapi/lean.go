package runtimeapi

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// head is what a runtime's request head says, as far as the two calls
// served without net/http need to know. Anything unusual sends the request
// to net/http's parser instead.
type head struct {
	method, path []byte // slices of the peeked head
	id           []byte // request id of a /response call
	length       int64  // Content-Length; 0 without a body, -1 chunked
	chunked      bool
	close        bool // Connection: close
}

// parse reads raw (the request line and headers, through the blank line)
// and reports whether the request is plain enough to be served here.
func (h *head) parse(raw []byte) bool {
	line, rest, _ := bytes.Cut(raw, []byte("\r\n"))
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	path, proto, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 || string(proto) != "HTTP/1.1" || !bytes.HasPrefix(path, []byte(apiPrefix)) {
		return false
	}
	*h = head{method: method, path: path}
	haveLength := false
	for len(rest) > 2 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[0] == ' ' || name[0] == '\t' || name[len(name)-1] == ' ' {
			return false // no colon, folded or malformed: net/http decides
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(name, "Content-Length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if haveLength || err != nil || n < 0 {
				return false
			}
			h.length, haveLength = n, true
		case asciiEqualFold(name, "Transfer-Encoding"):
			if h.chunked || !asciiEqualFold(value, "chunked") {
				return false
			}
			h.chunked = true
		case asciiEqualFold(name, "Connection"):
			h.close = bytes.Contains(bytes.ToLower(value), []byte("close"))
		case asciiEqualFold(name, "Expect"), asciiEqualFold(name, hdrResponseMode),
			asciiEqualFold(name, hdrFunctionErrorType):
			return false
		}
	}
	if h.chunked {
		if haveLength {
			return false
		}
		h.length = -1
	}
	return true
}

// isNext reports a plain GET /next.
func (h *head) isNext() bool {
	return string(h.method) == http.MethodGet && string(h.path) == apiPrefix+pathNext && h.length == 0
}

// isResponse reports a plain POST /invocation/{id}/response, and sets id.
func (h *head) isResponse() bool {
	if string(h.method) != http.MethodPost {
		return false
	}
	tail, ok := bytes.CutPrefix(h.path, []byte(apiPrefix+pathInvocation))
	if !ok {
		return false
	}
	id, ok := bytes.CutSuffix(tail, []byte("/response"))
	if !ok || len(id) == 0 || bytes.ContainsAny(id, "/?%") {
		return false
	}
	h.id = id
	return true
}

// asciiEqualFold compares a header name or token case-insensitively.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// maxTrailerLines bounds the trailer section of a chunked /response.
const maxTrailerLines = 32

// readTrailer reads the trailer section after a chunked body's last chunk
// and returns the error type and body aws-lambda-go reports there.
func readTrailer(br *bufio.Reader) (errType string, errBody []string, err error) {
	for range maxTrailerLines {
		line, err := readLine(br, DefaultMaxResponseBytes)
		if err != nil {
			return "", nil, err
		}
		if len(line) == 0 {
			return errType, errBody, nil
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(name, hdrFunctionErrorType):
			errType = string(value)
		case asciiEqualFold(name, trlFunctionErrorBody):
			errBody = []string{string(value)}
		}
	}
	return "", nil, errTrailerTooLong
}

var errTrailerTooLong = errors.New("trailer section too long")

// readLine reads one line of at most limit bytes, without its CRLF.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) <= limit {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// leanWriter is an http.ResponseWriter that renders HTTP/1.1 answers into
// a connection's buffered writer, reused for every answer on it. A body
// whose Content-Length the handler set goes out as it is written; any
// other is held until the handler returns (finish), and its length sent.
// Flush before then commits the length written so far.
type leanWriter struct {
	bw     *bufio.Writer
	h      http.Header
	status int
	sent   bool   // the head is written
	body   []byte // held body, without a Content-Length
	num    [20]byte
}

func (w *leanWriter) reset() {
	clear(w.h)
	w.status, w.sent, w.body = 0, false, w.body[:0]
}

func (w *leanWriter) Header() http.Header { return w.h }

func (w *leanWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if cl := w.h[hdrContentLength]; len(cl) == 1 {
		w.writeHead()
		_, _ = w.bw.WriteString(cl[0])
		_, _ = w.bw.WriteString("\r\n\r\n")
	}
}

func (w *leanWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.sent {
		return w.bw.Write(p)
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// Flush sends what was written so far.
func (w *leanWriter) Flush() {
	w.commit()
	_ = w.bw.Flush()
}

// finish completes the answer and writes it to the connection.
func (w *leanWriter) finish() error {
	w.commit()
	if cap(w.body) > maxPooled {
		w.body = nil
	}
	return w.bw.Flush()
}

func (w *leanWriter) commit() {
	if w.sent {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.writeHead()
	_, _ = w.bw.Write(strconv.AppendInt(w.num[:0], int64(len(w.body)), 10))
	_, _ = w.bw.WriteString("\r\n\r\n")
	_, _ = w.bw.Write(w.body)
}

// writeHead writes the status line and headers, up to the value of the
// Content-Length, which the caller writes with the blank line. Values lose
// any CR or LF, as net/http's do.
func (w *leanWriter) writeHead() {
	bw := w.bw
	_, _ = bw.WriteString("HTTP/1.1 ")
	_, _ = bw.Write(strconv.AppendInt(w.num[:0], int64(w.status), 10))
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(http.StatusText(w.status))
	_, _ = bw.WriteString("\r\n")
	for k, vs := range w.h {
		if k == hdrContentLength {
			continue
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			}
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
	_, _ = bw.WriteString("Content-Length: ")
	w.sent = true
}
