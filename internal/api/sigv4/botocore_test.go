package sigv4

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hearth-run/hearth/internal/testenv"
)

// botocoreScript signs requests with the real botocore, the way boto3 and the
// AWS CLI do, and prints them as JSON. Client calls go through boto3 clients
// whose before-send hook captures the finished request instead of sending
// it; the edge cases use botocore.auth directly.
const botocoreScript = `
import base64, json, sys
import boto3, botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID, SECRET, ENDPOINT = sys.argv[1], sys.argv[2], sys.argv[3]
out = []

def emit(name, service, p):
    body = p.body or b''
    if isinstance(body, str):
        body = body.encode()
    hdrs = [[k, v.decode() if isinstance(v, bytes) else v] for k, v in p.headers.items()]
    out.append(dict(name=name, service=service, method=p.method, url=p.url, headers=hdrs,
                    body=base64.b64encode(body).decode()))

class Captured(Exception):
    pass

session = boto3.session.Session(aws_access_key_id=AKID, aws_secret_access_key=SECRET, region_name='us-east-1')
def client(service):
    c = session.client(service, endpoint_url=ENDPOINT)
    def grab(request, **kw):
        emit(kw['event_name'].split('.')[-1] + ':' + current[0], service, request)
        raise Captured()
    c.meta.events.register('before-send', grab)
    return c
current = ['']
def call(name, fn, **kw):
    current[0] = name
    try:
        fn(**kw)
    except Captured:
        pass

lam, ev = client('lambda'), client('events')
call('invoke ARN qualifier', lam.invoke, FunctionName='arn:aws:lambda:us-east-1:123456789012:function:my-fn',
     Qualifier='$LATEST', Payload=b'{"x":1}', LogType='Tail', InvocationType='RequestResponse')
call('invoke name:alias', lam.invoke, FunctionName='my-fn:prod', Payload=b'')
call('list functions', lam.list_functions, MaxItems=5, Marker='a b+c/=')
call('get function', lam.get_function, FunctionName='arn:aws:lambda:us-east-1:123456789012:function:my-fn:7')
call('create function', lam.create_function, FunctionName='f', Runtime='python3.12', Role='arn:aws:iam::1:role/r',
     Handler='app.handler', Code={'ZipFile': b'PK\x03\x04' + bytes(range(256)) * 64})
call('put events', ev.put_events, Entries=[{'Source': 'app', 'DetailType': 't', 'Detail': '{"a": 1}'}])
call('list rules', ev.list_rules, NamePrefix='warm-', Limit=10)

creds = Credentials(AKID, SECRET)
def signed(name, service, method, url, headers=None, data=b'', auth=None):
    r = AWSRequest(method=method, url=url, headers=headers or {}, data=data)
    (auth or SigV4Auth(creds, service, 'us-east-1')).add_auth(r)
    emit(name, service, r.prepare())

signed('content-length 0 signed', 'lambda', 'POST', ENDPOINT + '/2015-03-31/functions/f/invocations',
       headers={'Content-Length': '0'})
signed('spaces in values', 'events', 'POST', ENDPOINT + '/', data=b'{}',
       headers={'X-Amz-Target': 'AWSEvents.ListRules', 'Content-Type': 'application/x-amz-json-1.1', 'X-Note': '  a   b  c '})
signed('dot segments and double slash', 'lambda', 'GET', ENDPOINT + '/2015-03-31//functions/./x/../f')
signed('date header instead of x-amz-date', 'lambda', 'GET', ENDPOINT + '/2015-03-31/functions', headers={'Date': 'now'})
saved = list(botocore.auth.SIGNED_HEADERS_BLACKLIST)
botocore.auth.SIGNED_HEADERS_BLACKLIST[:] = [h for h in saved if h != 'user-agent']
signed('user-agent signed', 'lambda', 'GET', ENDPOINT + '/2015-03-31/functions', headers={'User-Agent': 'java-sdk/1.12'})
botocore.auth.SIGNED_HEADERS_BLACKLIST[:] = saved
signed('presigned', 'lambda', 'GET', ENDPOINT + '/2015-03-31/functions?MaxItems=3',
       auth=SigV4QueryAuth(creds, 'lambda', 'us-east-1', expires=300))
json.dump(out, sys.stdout)
`

type botoRequest struct {
	Name    string      `json:"name"`
	Service string      `json:"service"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// TestVerifyBotocore replays requests signed by botocore (boto3, AWS CLI).
func TestVerifyBotocore(t *testing.T) {
	python := testenv.NeedPython(t, "boto3", "botocore")
	out, err := exec.Command(python, "-c", botocoreScript, testAKID, testSecret, "http://"+testHost).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("botocore script: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var reqs []botoRequest
	if err := json.Unmarshal(out, &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 13 {
		t.Fatalf("botocore produced %d requests, want 13", len(reqs))
	}
	for _, br := range reqs {
		t.Run(br.Name, func(t *testing.T) {
			u, err := url.Parse(br.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := base64.StdEncoding.DecodeString(br.Body)
			headers := [][2]string{{"Host", u.Host}} // added by urllib3 on the wire
			signedAt := time.Now()
			for _, h := range br.Headers {
				headers = append(headers, h)
				if strings.EqualFold(h[0], "X-Amz-Date") {
					signedAt, _ = time.Parse(amzDateLayout, h[1])
				}
			}
			// The request line as urllib3 sends it: the URL's path and query verbatim.
			target := br.URL[len(u.Scheme)+3+len(u.Host):]
			w := rawWire(br.Method, target, headers, body)
			r, rbody := w.parse(t)
			id, err := testVerifier(signedAt).Verify(r, rbody)
			if err != nil {
				t.Fatalf("Verify: %v\n%s", err, head(w))
			}
			if id.Service != br.Service || id.AccessKeyID != testAKID {
				t.Fatalf("identity = %+v", id)
			}
			// The same request with a wrong signature must fail.
			i := bytes.Index(w, []byte("Signature=")) + len("Signature=")
			bad := bytes.Clone(w)
			bad[i] ^= 1
			r, rbody = wire(bad).parse(t)
			_, err = testVerifier(signedAt).Verify(r, rbody)
			wantError(t, err, CodeInvalidSignature, msgSignatureMismatch)
			// So must the same request with one byte of body changed.
			if len(rbody) > 0 {
				rbody[len(rbody)-1] ^= 1
				r, _ = w.parse(t)
				if _, err := testVerifier(signedAt).Verify(r, rbody); err == nil {
					t.Fatal("tampered body verified")
				}
			}
		})
	}
}
