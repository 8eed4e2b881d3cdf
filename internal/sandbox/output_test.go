package sandbox

import (
	"testing"
	"time"
)

// slowWriter is an Output writer that takes its time with every write, so
// that output is often out of the pipe but not yet written.
type slowWriter struct{ buffer }

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(300 * time.Microsecond)
	return w.buffer.Write(p)
}

// SyncOutput returns only once everything the process wrote has reached
// the Output writer: with the process frozen, nothing more arrives after
// it returns, even through a slow writer.
func TestSyncOutputCatchesUp(t *testing.T) {
	forModes(t, func(t *testing.T, m *Manager) {
		var out slowWriter
		p := start(t, m, spec(m, &out, "counter"))
		waitFor(t, "first output", func() bool { return out.String() != "" })
		for i := range 5 {
			time.Sleep(10 * time.Millisecond)
			if err := p.Freeze(); err != nil {
				t.Fatal(err)
			}
			if err := p.WaitFrozen(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			p.SyncOutput(2 * time.Second)
			synced := out.String()
			time.Sleep(30 * time.Millisecond)
			if later := out.String(); later != synced {
				t.Fatalf("round %d: %d bytes of output arrived after SyncOutput returned", i, len(later)-len(synced))
			}
			if err := p.Thaw(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
