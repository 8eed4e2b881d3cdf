package activity

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBus(t *testing.T) {
	b := New(Options{History: 3})
	var handled []Kind
	b.Handle(func(ev Event) { handled = append(handled, ev.Kind) })
	sub := b.Subscribe(2)
	for _, k := range []Kind{EnvInit, InvokeStart, InvokeEnd, Freeze} {
		b.Publish(Event{Kind: k, Function: "fn"})
	}
	if len(handled) != 4 {
		t.Errorf("handler saw %v", handled)
	}
	// The subscription's buffer holds two; the other two are missed.
	if got := sub.Missed(); got != 2 {
		t.Errorf("missed %d, want 2", got)
	}
	first := <-sub.Events()
	if first.Kind != EnvInit || first.Seq != 1 || first.Time.IsZero() {
		t.Errorf("first event %+v", first)
	}
	recent := b.Recent(0)
	if len(recent) != 3 || recent[0].Kind != InvokeStart || recent[2].Kind != Freeze {
		t.Errorf("recent %+v", recent)
	}
	if got := b.Recent(3); len(got) != 1 || got[0].Seq != 4 {
		t.Errorf("recent after 3: %+v", got)
	}
	sub.Close()
	sub.Close()
	if _, ok := <-sub.Events(); !ok {
		t.Error("buffered event lost at close")
	}
	if _, ok := <-sub.Events(); ok {
		t.Error("channel open after Close")
	}
	b.Publish(Event{Kind: EnvStop}) // no subscriber left: must not panic
	var nilBus *Bus
	nilBus.Publish(Event{Kind: EnvStop})
}

func TestEventJSON(t *testing.T) {
	b, err := json.Marshal(Event{Kind: InvokeEnd, Duration: 1500 * time.Microsecond, Outcome: OutcomeOK})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"invoke"`, `"durationMs":1.5`, `"outcome":"ok"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}
