package invoke

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"
)

// traceID is the X-Ray trace header an invocation carries: the caller's
// X-Amzn-Trace-Id when it sent one, else a new one, since Lambda always
// sets _X_AMZN_TRACE_ID:
//
//	Root=1-<8 hex digits of Unix time>-<24 hex digits>;Parent=<16 hex digits>;Sampled=0
func traceID(caller string, now time.Time) string {
	if caller != "" {
		return caller
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	// Rendered into one buffer: the header is made on every invocation.
	const prefix, parent, sampled = "Root=1-", ";Parent=", ";Sampled=0"
	var out [len(prefix) + 16 + 1 + 24 + len(parent) + 16 + len(sampled)]byte
	n := copy(out[:], prefix)
	var ts [16]byte
	t := strconv.AppendInt(ts[:0], now.Unix(), 16)
	for i := len(t); i < 8; i++ {
		out[n] = '0'
		n++
	}
	n += copy(out[n:], t)
	out[n] = '-'
	n++
	n += hex.Encode(out[n:], b[:12])
	n += copy(out[n:], parent)
	n += hex.Encode(out[n:], b[12:])
	n += copy(out[n:], sampled)
	return string(out[:n])
}
