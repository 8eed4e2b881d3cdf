package runtimes

import (
	"strconv"
	"strings"
	"testing"
)

const nodeContext = `exports.handler = async (event, context) => ({
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  awsRequestId: context.awsRequestId,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  identity: context.identity.cognitoIdentityId,
  client: context.clientContext.client.app_title,
  waits: context.callbackWaitsForEmptyEventLoop,
  remainingOk: context.getRemainingTimeInMillis() > 0 && context.getRemainingTimeInMillis() <= 60000,
  trace: process.env._X_AMZN_TRACE_ID,
  legacy: [typeof context.done, typeof context.succeed, typeof context.fail],
});
`

func TestNodeBootstrap(t *testing.T) {
	ctxEvent := fakeEvent{id: "req-ctx", body: `{}`, headers: map[string]string{
		"Lambda-Runtime-Trace-Id":         "Root=1-abc;Sampled=1",
		"Lambda-Runtime-Cognito-Identity": `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
		"Lambda-Runtime-Client-Context":   `{"client":{"app_title":"app-title"},"custom":{"k":"v"},"env":{}}`,
	}}
	one := func(body string) []fakeEvent { return []fakeEvent{ev("req-1", body)} }
	big := strings.Repeat("é€x", 100000) // 600 KB: a chunked answer, read in many pieces
	cases := []bootstrapCase{{
		name:    "large event and result",
		files:   map[string]string{"app.js": "exports.handler = async (event) => ({ n: event.s.length, s: event.s });\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{"s":"`+big+`"}`), ev("req-2", `{"s":"é"}`)},
		want:    []wantPost{{kind: "response", body: `{"n":300000,"s":"` + big + `"}`}, {kind: "response", body: `{"n":1,"s":"é"}`}},
	}, {
		name:    "async returns data",
		files:   map[string]string{"app.js": "exports.handler = async (event) => ({ got: event, u: undefined, n: null });\n"},
		handler: "app.handler",
		events:  one(`{"x":[1,2.5,"é"]}`),
		want:    []wantPost{{kind: "response", body: `{"got":{"x":[1,2.5,"é"]},"n":null}`}},
	}, {
		name: "throws",
		files: map[string]string{"app.js": "exports.handler = async (event) => {\n" +
			"  if (event.sync) return null;\n  throw new TypeError('bad');\n};\n" +
			"exports.sync = (event) => { throw new RangeError('sync bad'); };\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want: []wantPost{{kind: "error", errorType: "TypeError",
			contains: []string{`"errorMessage":"bad"`, `"trace":["TypeError: bad","    at `}}},
		logs: []string{"\treq-1\tERROR\tInvoke Error \t{"},
	}, {
		name:    "sync throw",
		files:   map[string]string{"app.js": "exports.handler = (event) => { throw new RangeError('sync bad'); };\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "error", errorType: "RangeError", contains: []string{`"errorMessage":"sync bad"`}}},
	}, {
		name:    "callback with string error",
		files:   map[string]string{"app.js": "exports.handler = (event, context, cb) => cb('plain');\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "error", errorType: "string", body: `{"errorType":"string","errorMessage":"plain","trace":[]}`}},
	}, {
		name: "callback waits for the event loop",
		files: map[string]string{"app.js": "exports.handler = (event, context, cb) => {\n" +
			"  setTimeout(() => cb(null, { v: 1 }), 5);\n  setTimeout(() => console.log('timer fired'), 40);\n};\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{}`), ev("req-2", `{}`)},
		want:    []wantPost{{kind: "response", body: `{"v":1}`}, {kind: "response", body: `{"v":1}`}},
		logs:    []string{"\treq-1\tINFO\ttimer fired", "\treq-2\tINFO\ttimer fired"},
	}, {
		name: "callback without waiting",
		files: map[string]string{"app.js": "exports.handler = (event, context, cb) => {\n" +
			"  context.callbackWaitsForEmptyEventLoop = false;\n  setTimeout(() => {}, 3600e3);\n  cb(null, 'now');\n};\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{}`), ev("req-2", `{}`)},
		want:    []wantPost{{kind: "response", body: `"now"`}, {kind: "response", body: `"now"`}},
	}, {
		name:    "sync handler without result",
		files:   map[string]string{"app.js": "exports.handler = (event) => { console.log('ran'); };\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "response", body: `null`}},
	}, {
		name:    "legacy context.succeed",
		files:   map[string]string{"app.js": "exports.handler = (event, context) => { context.succeed({ ok: true }); context.fail('late'); };\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "response", body: `{"ok":true}`}},
	}, {
		name:    "context",
		files:   map[string]string{"app.js": nodeContext},
		handler: "app.handler",
		events:  []fakeEvent{ctxEvent},
		want: []wantPost{{kind: "response", body: `{"functionName":"fn","functionVersion":"$LATEST",` +
			`"invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:fn","memoryLimitInMB":"128",` +
			`"awsRequestId":"req-ctx","logGroupName":"/aws/lambda/fn","logStreamName":"2026/01/01/[$LATEST]abc",` +
			`"identity":"id-1","client":"app-title","waits":true,"remainingOk":true,"trace":"Root=1-abc;Sampled=1",` +
			`"legacy":["function","function","function"]}`}},
	}, {
		name: "logs",
		files: map[string]string{"app.js": "console.log('at init');\nexports.handler = async () => {\n" +
			"  console.log('hello', { a: 1 }); console.warn('careful'); console.error('bad\\nthing'); return 1;\n};\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "response", body: `1`}},
		logs:    []string{"Z\tundefined\tINFO\tat init\n", "Z\treq-1\tINFO\thello { a: 1 }\n", "\treq-1\tWARN\tcareful\n", "\treq-1\tERROR\tbad\rthing\n"},
	}, {
		name:    "ES module .mjs",
		files:   map[string]string{"app.mjs": "export const handler = async (event) => ({ esm: true, n: event.n });\n"},
		handler: "app.handler",
		events:  one(`{"n":7}`),
		want:    []wantPost{{kind: "response", body: `{"esm":true,"n":7}`}},
	}, {
		name: "ES module .js with type module",
		files: map[string]string{"package.json": `{"type":"module"}`,
			"src/app.js": "export async function handler() { return import.meta.url.endsWith('/src/app.js'); }\n"},
		handler: "src/app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "response", body: `true`}},
	}, {
		name:    "nested .cjs and nested export",
		files:   map[string]string{"lib/fn/app.cjs": "module.exports = { api: { handler: async () => 'deep' } };\n"},
		handler: "lib/fn/app.api.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "response", body: `"deep"`}},
	}, {
		name:    "unserializable result",
		files:   map[string]string{"app.js": "exports.handler = async () => { const o = {}; o.self = o; return o; };\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "error", errorType: "Error", contains: []string{"Unable to stringify response body"}}},
	}, {
		name:     "init runs once",
		files:    map[string]string{"app.js": "console.log('init ran');\nlet count = 0;\nexports.handler = async () => ({ count: ++count });\n"},
		handler:  "app.handler",
		events:   []fakeEvent{ev("req-1", `{}`), ev("req-2", `{}`)},
		want:     []wantPost{{kind: "response", body: `{"count":1}`}, {kind: "response", body: `{"count":2}`}},
		logCount: map[string]int{"init ran": 1},
	}, {
		name:    "import error",
		files:   map[string]string{"app.js": "exports.x = 1;\n"},
		handler: "missing.handler",
		want: []wantPost{{kind: "init", errorType: "Runtime.ImportModuleError",
			contains: []string{"Error: Cannot find module 'missing'"}}},
	}, {
		name:    "handler not found",
		files:   map[string]string{"app.js": "exports.x = 1;\n"},
		handler: "app.nope",
		want: []wantPost{{kind: "init", errorType: "Runtime.HandlerNotFound",
			contains: []string{"app.nope is undefined or not exported"}}},
	}, {
		name:    "syntax error",
		files:   map[string]string{"app.js": "exports.handler = async () => {;\n"},
		handler: "app.handler",
		want: []wantPost{{kind: "init", errorType: "Runtime.UserCodeSyntaxError",
			contains: []string{"SyntaxError: "}}},
	}, {
		name:    "uncaught exception during invoke",
		files:   map[string]string{"app.js": "exports.handler = async () => { setTimeout(() => { throw new Error('late'); }, 1); return new Promise(() => {}); };\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "error", errorType: "Error", contains: []string{`"errorMessage":"late"`}}},
	}, {
		name:    "async handler never settles",
		files:   map[string]string{"app.js": "exports.handler = async () => new Promise(() => {});\n"},
		handler: "app.handler",
		events:  one(`{}`),
		want:    []wantPost{{kind: "error", errorType: "Runtime.NodeJsExit"}},
	}}
	runBootstrapCases(t, "nodejs20.x", cases)
}

// TestNodeBootstrapTransports runs a few invocations over each of the Node
// bootstrap's two ways to reach the Runtime API: Node's TCP handle for an
// IP address, the net module for a host name.
func TestNodeBootstrapTransports(t *testing.T) {
	files := map[string]string{"app.js": "exports.handler = async (event) => ({ n: event.n });\n"}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			p := startBootstrap(t, "nodejs20.x", files, "app.handler", "AWS_LAMBDA_RUNTIME_API="+host+":{port}")
			for i := range 3 {
				id := "req-" + strconv.Itoa(i)
				if got := p.invoke(t, ev(id, `{"n":`+strconv.Itoa(i)+`}`)); got.kind != "response" || got.body != `{"n":`+strconv.Itoa(i)+`}` {
					t.Fatalf("event %d: posted %s %s; output:\n%s", i, got.kind, got.body, p.out.String())
				}
			}
		})
	}
}
