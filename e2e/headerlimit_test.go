package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHeaderCountLimit checks that a request with more header fields than
// --http-max-headers is answered 431 before authentication, with a short
// body, while signed SDK requests keep working.
func TestHeaderCountLimit(t *testing.T) {
	h := startHearth(t, "", "--http-max-headers", "40")
	send := func(n int) (int, string) {
		req, err := http.NewRequest(http.MethodGet, h.endpoint()+"/2015-03-31/functions", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			req.Header.Set(fmt.Sprintf("X-Pad-%d", i), "x")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, string(body)
	}
	if code, body := send(60); code != http.StatusRequestHeaderFieldsTooLarge || len(body) > 200 ||
		!strings.Contains(body, "header fields") {
		t.Fatalf("60 headers: %d %q, want 431", code, body)
	}
	// Under the limit the request reaches authentication (unsigned: 403).
	if code, body := send(20); code != http.StatusForbidden {
		t.Fatalf("20 unsigned headers: %d %q, want 403", code, body)
	}
	if _, err := h.client().ListFunctions(context.Background(), nil); err != nil {
		t.Fatalf("signed request under the limit: %v", err)
	}
}
