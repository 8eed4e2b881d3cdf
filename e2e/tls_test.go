package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestPKI makes a certificate authority and a server certificate for
// 127.0.0.1 and localhost signed by it, and returns the files' paths.
func writeTestPKI(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hearth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "hearth"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", keyDER)
}

const boto3TLSScript = `
import io, json, os, zipfile
import boto3
c = boto3.client("lambda", endpoint_url=os.environ["HEARTH_ENDPOINT"], region_name="us-east-1", verify=os.environ["CA_FILE"])
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", "def handler(event, context):\n    return {'sum': event['a'] + event['b']}\n")
c.create_function(FunctionName="tls-boto", Runtime="python3.12", Handler="app.handler",
                  Role="arn:aws:iam::000000000000:role/x", Code={"ZipFile": buf.getvalue()})
out = json.loads(c.invoke(FunctionName="tls-boto", Payload=json.dumps({"a": 2, "b": 3}))["Payload"].read())
assert out == {"sum": 5}, out
c.delete_function(FunctionName="tls-boto")
print("boto3 over https ok")
`

// TestTLS serves the API over HTTPS with a certificate from a CA made
// here, and drives it with boto3, the AWS CLI and hearth's own client,
// each trusting that CA through a bundle.
func TestTLS(t *testing.T) {
	caFile, certFile, keyFile := writeTestPKI(t)
	h := startHearth(t, "", "--tls-cert", certFile, "--tls-key", keyFile)
	endpoint := "https://" + h.addr
	waitFor(t, "serve to log its https address", func() bool { return strings.Contains(h.logs(), "api="+endpoint) })
	env := append(h.awsEnv(), "HEARTH_ENDPOINT="+endpoint, "CA_FILE="+caFile, "AWS_MAX_ATTEMPTS=1")

	cmd := exec.Command("python3", "-c", boto3TLSScript)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "boto3 over https ok") {
		t.Fatalf("boto3 over https: %v\n%s", err, out)
	}

	aws := func(extra ...string) ([]byte, error) {
		args := append([]string{"--endpoint-url", endpoint, "--output", "json"}, extra...)
		cmd := exec.Command("aws", append(args, "lambda", "list-functions")...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	if out, err := aws("--ca-bundle", caFile); err != nil || !strings.Contains(string(out), `"Functions"`) {
		t.Errorf("aws --ca-bundle: %v\n%s", err, out)
	}
	if out, err := aws(); err == nil || !strings.Contains(string(out), "CERTIFICATE_VERIFY_FAILED") {
		t.Errorf("aws without the CA bundle must refuse the certificate: %v\n%s", err, out)
	}

	cli := append(cliEnv(t, h), "HEARTH_ENDPOINT="+endpoint)
	if r := runCLI(t, append(cli, "AWS_CA_BUNDLE="+caFile), "functions"); r.code != 0 || !strings.HasPrefix(r.stdout, "NAME") {
		t.Errorf("hearth functions with AWS_CA_BUNDLE: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// The console's login link is an https one, and works once.
	r := runCLI(t, append(cli, "AWS_CA_BUNDLE="+caFile), "console")
	if r.code != 0 || !strings.HasPrefix(r.stdout, endpoint+"/console/login?token=") {
		t.Errorf("hearth console over https: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, cli, "functions"); r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("hearth functions without the CA: exit %d, %q", r.code, r.stderr)
	}

	// Plain HTTP on the TLS listener gets no API answer.
	resp, err := http.Get("http://" + h.addr + "/2015-03-31/functions")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain http on the TLS listener: %d", resp.StatusCode)
		}
	}
}
