package sigv4

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzVerify feeds arbitrary Authorization headers, request targets and
// dates to Verify, which must answer every one without panicking.
func FuzzVerify(f *testing.F) {
	w := sdkSigned(f, "POST", "http://"+testHost+arnPath+"?Qualifier=1", [][2]string{{"Content-Type", "application/json"}},
		[]byte(`{}`), "lambda", testTime)
	r, _ := w.parse(f)
	f.Add(r.Header.Get("Authorization"), r.RequestURI, r.Header.Get("X-Amz-Date"), "application/json")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/lambda/aws4_request, SignedHeaders=content-length;host;x-amz-date, Signature=00",
		"//a/./../b?x=%zz&y", "Wed, 25 Nov 2026 17:31:27 GMT", "")
	f.Add("", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Fus-east-1%2Flambda%2Faws4_request"+
		"&X-Amz-Date=20261125T173127Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-amz-date&X-Amz-Signature=ab", "", "")
	f.Add("Bearer x", "http://h/p", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/lambda/aws4_request,SignedHeaders=host;x-amz-date;content-type;transfer-encoding,Signature=x",
		"*", "20261125T173127Z", " a  b ")
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, auth, target, date, ctype string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			u = &url.URL{Path: target}
		}
		r := &http.Request{
			Method:        "POST",
			URL:           u,
			RequestURI:    target,
			Host:          testHost,
			ContentLength: -1,
			Header: http.Header{
				"Authorization": {auth},
				"X-Amz-Date":    {date},
				"Date":          {date},
				"Content-Type":  {ctype},
			},
		}
		_, err = v.Verify(r, []byte(ctype))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}
