package sigv4

import (
	"bytes"
	"crypto/sha256"
	"net/textproto"
	"testing"
)

// FuzzPlainQuery holds the stack-only canonical query of plain queries
// against the general canonicalisation.
func FuzzPlainQuery(f *testing.F) {
	for _, q := range []string{"Qualifier=prod", "b=2&b=1&a", "&&x=&=v", "a=1&a=1&A=0&z~=.-_", "a%20b=c", "a=b;c"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, ok := appendPlainQuery(nil, q, false)
		if !ok {
			return
		}
		if want := canonicalQuery(q, false, ""); string(got) != want {
			t.Fatalf("plain canonical query of %q = %q, want %q", q, got, want)
		}
	})
}

func TestCanonicalKey(t *testing.T) {
	for _, name := range []string{"host", "x-amz-date", "X-AMZ-DATE", "content-md5", "a", "-a-", "x--y", "amz-sdk-invocation-id",
		"x_y", "x y", "", "caf\xc3\xa9", string(bytes.Repeat([]byte("a"), 70))} {
		var buf [64]byte
		got, ok := canonicalKey(buf[:0], name)
		if want := textproto.CanonicalMIMEHeaderKey(name); ok && string(got) != want {
			t.Errorf("canonicalKey(%q) = %q, textproto %q", name, got, want)
		}
	}
}

// TestFinishAllocatesNothing keeps the signature check of a typical
// Invoke (a qualifier, the SDK's headers) free of allocations: only
// Authenticate's Pending is allocated per request.
func TestFinishAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	w := sdkSigned(t, "POST", "http://"+testHost+arnPath+"?Qualifier=prod", [][2]string{
		{"Content-Type", "application/json"}, {"X-Amz-Invocation-Type", "RequestResponse"},
		{"Amz-Sdk-Invocation-Id", "0b7c2e0e-2a1b-4c7e-9a55-1f1f1f1f1f1f"}, {"Amz-Sdk-Request", "attempt=1; max=3"},
	}, []byte(`{"a":1}`), "lambda", testTime)
	r, body := w.parse(t)
	v := testVerifier(testTime)
	sum := sha256.Sum256(body)
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		p, aerr := v.Authenticate(r)
		if aerr != nil {
			err = aerr
			return
		}
		_, err = p.Finish(sum, int64(len(body)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs > 1 {
		t.Fatalf("Authenticate and Finish allocate %v times per request, want 1 (the Pending)", allocs)
	}
}
