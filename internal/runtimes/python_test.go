package runtimes

import (
	"strings"
	"testing"
)

const pyContext = `import os
def handler(event, context):
    left = context.get_remaining_time_in_millis()
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": context.identity.cognito_identity_id,
        "client": context.client_context.client.app_title,
        "installation_id": context.client_context.client.installation_id,
        "logged": context.log("context log line") is None,
        "custom": context.client_context.custom,
        "remaining_ok": 0 < left <= 60000,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
    }
`

func TestPythonBootstrap(t *testing.T) {
	ctxEvent := fakeEvent{id: "req-ctx", body: `{}`, headers: map[string]string{
		"Lambda-Runtime-Trace-Id":         "Root=1-abc;Sampled=1",
		"Lambda-Runtime-Cognito-Identity": `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
		"Lambda-Runtime-Client-Context":   `{"client":{"app_title":"app-title"},"custom":{"k":"v"},"env":{}}`,
	}}
	cases := []bootstrapCase{{
		name:    "returns data",
		files:   map[string]string{"app.py": "def handler(event, context):\n    return {'got': event, 'none': None}\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{"x": [1, 2.5, "é"]}`)},
		want:    []wantPost{{kind: "response", body: `{"got": {"x": [1, 2.5, "\u00e9"]}, "none": null}`}},
	}, {
		name:    "python3.12 keeps non-ASCII",
		runtime: "python3.12",
		files:   map[string]string{"app.py": "def handler(event, context):\n    return event\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `"é"`)},
		want:    []wantPost{{kind: "response", body: `"é"`}},
	}, {
		name:    "returns None",
		files:   map[string]string{"app.py": "def handler(event, context):\n    pass\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{}`)},
		want:    []wantPost{{kind: "response", body: `null`}},
	}, {
		name: "raises",
		files: map[string]string{"app.py": "class MyError(Exception):\n    pass\n\n" +
			"def handler(event, context):\n    if event.get('custom'):\n        raise MyError('custom boom')\n" +
			"    raise ValueError('boom')\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{}`), ev("req-2", `{"custom": true}`)},
		want: []wantPost{
			{kind: "error", errorType: "ValueError", contains: []string{`"errorMessage": "boom"`, `"requestId": "req-1"`, `app.py\", line 7, in handler`}},
			{kind: "error", errorType: "MyError", contains: []string{`"errorMessage": "custom boom"`}},
		},
		logs: []string{"[ERROR] ValueError: boom\rTraceback (most recent call last):\r"},
	}, {
		name: "logs",
		files: map[string]string{"app.py": "import logging\nlogging.getLogger().setLevel(logging.INFO)\n" +
			"def handler(event, context):\n    print('printed line')\n    logging.info('logged %s', 1)\n    return 1\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{}`)},
		want:    []wantPost{{kind: "response", body: `1`}},
		logs:    []string{"printed line\n", "[INFO]\t", "Z\treq-1\tlogged 1\n"},
	}, {
		name:    "context",
		files:   map[string]string{"app.py": pyContext},
		handler: "app.handler",
		events:  []fakeEvent{ctxEvent},
		want: []wantPost{{kind: "response", contains: []string{
			`"function_name": "fn"`, `"function_version": "$LATEST"`, `"memory_limit_in_mb": "128"`,
			`"invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:fn"`,
			`"aws_request_id": "req-ctx"`, `"log_group_name": "/aws/lambda/fn"`,
			`"identity": "id-1"`, `"client": "app-title"`, `"custom": {"k": "v"}`,
			`"installation_id": null`, `"logged": true`,
			`"remaining_ok": true`, `"trace": "Root=1-abc;Sampled=1"`,
		}}},
	}, {
		name:    "unserializable result",
		files:   map[string]string{"app.py": "def handler(event, context):\n    return {1, 2}\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{}`)},
		want: []wantPost{{kind: "error", errorType: "Runtime.MarshalError",
			contains: []string{"Unable to marshal response: Object of type set is not JSON serializable"}}},
	}, {
		name:    "nested module",
		files:   map[string]string{"sub/dir/app.py": "def handler(event, context):\n    return 'nested'\n"},
		handler: "sub/dir/app.handler",
		events:  []fakeEvent{ev("req-1", `{}`)},
		want:    []wantPost{{kind: "response", body: `"nested"`}},
	}, {
		name:    "large event",
		files:   map[string]string{"app.py": "def handler(event, context):\n    return len(event['s'])\n"},
		handler: "app.handler",
		events:  []fakeEvent{ev("req-1", `{"s": "`+strings.Repeat("x", 1<<20)+`"}`)},
		want:    []wantPost{{kind: "response", body: `1048576`}},
	}, {
		name:     "init runs once",
		files:    map[string]string{"app.py": "print('init ran')\ncount = 0\ndef handler(event, context):\n    global count\n    count += 1\n    return {'count': count}\n"},
		handler:  "app.handler",
		events:   []fakeEvent{ev("req-1", `{}`), ev("req-2", `{}`)},
		want:     []wantPost{{kind: "response", body: `{"count": 1}`}, {kind: "response", body: `{"count": 2}`}},
		logCount: map[string]int{"init ran": 1},
	}, {
		name:    "import error",
		files:   map[string]string{"app.py": "x = 1\n"},
		handler: "missing.handler",
		want: []wantPost{{kind: "init", errorType: "Runtime.ImportModuleError",
			contains: []string{"Unable to import module 'missing': No module named 'missing'"}}},
	}, {
		name:    "handler not found",
		files:   map[string]string{"app.py": "x = 1\n"},
		handler: "app.nope",
		want: []wantPost{{kind: "init", errorType: "Runtime.HandlerNotFound",
			contains: []string{"Handler 'nope' missing on module 'app'"}}},
	}, {
		name:    "syntax error",
		files:   map[string]string{"app.py": "def handler(:\n"},
		handler: "app.handler",
		want: []wantPost{{kind: "init", errorType: "Runtime.UserCodeSyntaxError",
			contains: []string{"Syntax error in module 'app'"}}},
	}, {
		name:    "raises during init",
		files:   map[string]string{"app.py": "raise RuntimeError('no config')\n"},
		handler: "app.handler",
		want:    []wantPost{{kind: "init", errorType: "RuntimeError", contains: []string{"no config"}}},
	}}
	runBootstrapCases(t, "python3.11", cases)
}
