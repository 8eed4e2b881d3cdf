package invoke

import (
	"regexp"
	"testing"
	"time"
)

func TestTraceID(t *testing.T) {
	at := time.Unix(0x6568_1a2b, 0)
	form := regexp.MustCompile(`^Root=1-65681a2b-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`)
	a, b := traceID("", at), traceID("", at)
	if !form.MatchString(a) || !form.MatchString(b) || a == b {
		t.Errorf("new trace ids %q, %q", a, b)
	}
	if early := traceID("", time.Unix(0xabc, 0)); !regexp.MustCompile(`^Root=1-00000abc-[0-9a-f]{24};Parent=`).MatchString(early) {
		t.Errorf("time not padded to 8 digits: %q", early)
	}
	const caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	if got := traceID(caller, at); got != caller {
		t.Errorf("caller's trace id became %q", got)
	}
}
