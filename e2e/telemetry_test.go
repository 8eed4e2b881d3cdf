package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// telemetrySubscriber is an external extension in Python: it listens at
// sandbox.localdomain, subscribes to platform events and prints the
// request id of each platform.start and platform.report it receives.
const telemetrySubscriber = `#!/usr/bin/python3
import http.server, json, os, threading, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]

class Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        for ev in events:
            if ev["type"] in ("platform.start", "platform.report"):
                print("subscriber got", ev["type"], ev["record"]["requestId"], flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("sandbox.localdomain", 4243), Listener)
threading.Thread(target=server.serve_forever, daemon=True).start()

def call(method, path, body=None, headers={}):
    req = urllib.request.Request(API + path, data=body and json.dumps(body).encode(), headers=headers, method=method)
    return urllib.request.urlopen(req)

ext = call("POST", "/2020-01-01/extension/register", {"events": ["SHUTDOWN"]},
           {"Lambda-Extension-Name": "subscriber"}).headers["Lambda-Extension-Identifier"]
call("PUT", "/2022-07-01/telemetry", {"schemaVersion": "2022-12-13",
     "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:4243"},
     "types": ["platform"], "buffering": {"timeoutMs": 25}}, {"Lambda-Extension-Identifier": ext})
while True:
    ev = json.loads(call("GET", "/2020-01-01/extension/event/next", None, {"Lambda-Extension-Identifier": ext}).read())
    if ev["eventType"] == "SHUTDOWN":
        break
`

// TestTelemetrySubscriber: an extension subscribed to the Telemetry API
// receives platform.start and platform.report of every invocation, with
// the right request ids, at the latest when the environment shuts down.
func TestTelemetrySubscriber(t *testing.T) {
	h := startHearth(t, "")
	c := h.client()
	arn := publishLayer(t, c, "subscriber", map[string][]byte{"extensions/subscriber*": []byte(telemetrySubscriber)})
	createFunction(t, c, "observed", runtimeCases[0], func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{arn}
	})
	var ids []string
	for range 2 {
		r := invoke(t, c, "observed", map[string]any{})
		id, _ := r.Payload["requestId"].(string)
		if r.FunctionError != "" || id == "" {
			t.Fatalf("invoke: %q %s\n%s", r.FunctionError, r.Raw, r.Log)
		}
		ids = append(ids, id)
	}
	updateAndDrain(t, h, c, "observed", map[string]string{"REV": "2"})
	log := h.waitStream(t, "observed", ids[0], "subscriber got platform.report "+ids[1])
	for _, id := range ids {
		for _, typ := range []string{"platform.start", "platform.report"} {
			if !strings.Contains(log, "subscriber got "+typ+" "+id+"\n") {
				t.Errorf("the subscriber did not get %s of %s:\n%s", typ, id, log)
			}
		}
	}
}
