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
	ts := strconv.FormatInt(now.Unix(), 16)
	for len(ts) < 8 {
		ts = "0" + ts
	}
	return "Root=1-" + ts + "-" + hex.EncodeToString(b[:12]) + ";Parent=" + hex.EncodeToString(b[12:]) + ";Sampled=0"
}
