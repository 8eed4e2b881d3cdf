package sigv4

import (
	"bytes"
	"testing"
)

// BenchmarkVerify verifies a typical Invoke: a 1 KB JSON payload to a
// function named by ARN with a qualifier, signed by aws-sdk-go-v2.
func BenchmarkVerify(b *testing.B) {
	payload := append([]byte(`{"data":"`), bytes.Repeat([]byte("x"), 1024-11)...)
	payload = append(payload, `"}`...)
	w := sdkSigned(b, "POST", "http://"+testHost+arnPath+"?Qualifier=prod", [][2]string{
		{"Content-Type", "application/json"}, {"X-Amz-Invocation-Type", "RequestResponse"},
		{"Amz-Sdk-Invocation-Id", "0b7c2e0e-2a1b-4c7e-9a55-1f1f1f1f1f1f"}, {"Amz-Sdk-Request", "attempt=1; max=3"},
	}, payload, "lambda", testTime)
	r, body := w.parse(b)
	v := testVerifier(testTime)
	if _, err := v.Verify(r, body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}
