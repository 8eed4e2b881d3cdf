package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// invokeAndLeave sends a signed Invoke of fn on a connection of its own
// and closes the connection after wait, before the answer. With viaHTTP
// the request says Connection: close, which the API's front hands to
// net/http's server; without, the front serves it itself.
func invokeAndLeave(t *testing.T, h *hearth, fn, payload string, viaHTTP bool, wait time.Duration) {
	t.Helper()
	body := []byte(payload)
	req, err := http.NewRequest("POST", h.endpoint()+"/2015-03-31/functions/"+fn+"/invocations", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Close = viaHTTP
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", h.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
}

// TestClientDisconnect sends Invokes whose client goes away before the
// answer, once through the API's own front and once through net/http,
// which must come out alike. A warm invocation runs to its end, as on
// Lambda (a synchronous invocation does not stop when its caller does):
// its duration is recorded in full. So does a cold start whose Init is
// still running: the Init ends, the handler runs, the environment stays.
func TestClientDisconnect(t *testing.T) {
	metricsAddr := freeAddr(t)
	h := startHearth(t, "", "--metrics-listen", metricsAddr)
	c := h.client()
	createFunction(t, c, "gone-warm", runtimeCases[0])
	invoke(t, c, "gone-warm", map[string]any{"action": "echo"})
	warm := map[string]string{"function": "gone-warm", "qualifier": "$LATEST", "cold_reason": "warm"}
	slowInit := zipFiles(t, map[string][]byte{"app.py": []byte(
		"import time\ntime.sleep(1)\n\ndef handler(event, context):\n    return event\n")})
	type outcome struct {
		envs        int
		invocations float64
	}
	for _, path := range []struct {
		name    string
		viaHTTP bool
	}{{"front", false}, {"net/http", true}} {
		hist := metricWith(scrapeMetrics(t, metricsAddr), "hearth_invocation_duration_seconds", warm).GetHistogram()
		count, sum := hist.GetSampleCount(), hist.GetSampleSum()
		invokeAndLeave(t, h, "gone-warm", `{"action":"sleep","sleepMs":600}`, path.viaHTTP, 200*time.Millisecond)
		waitFor(t, path.name+": the warm invocation to end", func() bool {
			hist = metricWith(scrapeMetrics(t, metricsAddr), "hearth_invocation_duration_seconds", warm).GetHistogram()
			return hist.GetSampleCount() > count
		})
		if d := hist.GetSampleSum() - sum; hist.GetSampleCount() != count+1 || d < 0.55 {
			t.Errorf("%s: %d warm invocations recorded, %.3f s; want one that ran its 0.6 s", path.name, hist.GetSampleCount()-count, d)
		}

		fn := "gone-cold-" + map[bool]string{false: "front", true: "http"}[path.viaHTTP]
		createFunction(t, c, fn, runtimeCases[1], func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = slowInit })
		invokeAndLeave(t, h, fn, `{}`, path.viaHTTP, 300*time.Millisecond)
		time.Sleep(1500 * time.Millisecond) // past the Init's 1 s
		fams := scrapeMetrics(t, metricsAddr)
		o := outcome{envs: len(h.environments(t, fn)),
			invocations: metricValue(fams, "hearth_invocation_duration_seconds", map[string]string{"function": fn})}
		errs := metricValue(fams, "hearth_errors_total", map[string]string{"function": fn})
		if o.envs != 1 || o.invocations != 1 || errs > 0 {
			t.Errorf("%s: a client gone during a cold start's Init left %d environments, %v invocations, %v errors; want the Init and the invocation run to their end", path.name, o.envs, o.invocations, errs)
		}
	}
}
