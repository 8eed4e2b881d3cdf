package runtimes

import (
	"strconv"
	"testing"
)

var benchHandlers = []struct {
	runtime, file, source string
}{
	{"python3.12", "app.py", "def handler(event, context):\n    return {'ok': True}\n"},
	{"nodejs20.x", "app.js", "exports.handler = async () => ({ ok: true });\n"},
}

// BenchmarkWarmInvoke measures one warm invocation round trip: the event out
// on /next, the handler, the response back, against a loopback fake API.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, h := range benchHandlers {
		b.Run(h.runtime, func(b *testing.B) {
			p := startBootstrap(b, h.runtime, map[string]string{h.file: h.source}, "app.handler")
			p.invoke(b, ev("warm-up", `{}`))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := p.invoke(b, ev(strconv.Itoa(i), `{"n":1}`)); got.kind != "response" {
					b.Fatalf("posted %s: %s", got.kind, got.body)
				}
			}
		})
	}
}

// BenchmarkColdStart measures process start, init (loading the handler) and
// the first invocation: what a cold start costs beyond the sandbox.
func BenchmarkColdStart(b *testing.B) {
	for _, h := range benchHandlers {
		b.Run(h.runtime, func(b *testing.B) {
			files := map[string]string{h.file: h.source}
			for i := 0; i < b.N; i++ {
				p := startBootstrap(b, h.runtime, files, "app.handler")
				if got := p.invoke(b, ev("cold", `{}`)); got.kind != "response" {
					b.Fatalf("posted %s: %s", got.kind, got.body)
				}
				b.StopTimer()
				p.stop(b)
				b.StartTimer()
			}
		})
	}
}
