package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hearth-run/hearth/internal/codestore"
	"github.com/hearth-run/hearth/internal/errdefs"
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/invoke"
	"github.com/hearth-run/hearth/internal/store"
)

// TestMapError checks the one mapping from Go errors to Lambda's: typed
// errors give their fields, sentinels Lambda's words, classes the status.
func TestMapError(t *testing.T) {
	arn := "arn:aws:lambda:us-east-1:000000000000:function:f:live"
	tests := []struct {
		name   string
		err    error
		status int
		typ    string
		msg    string
		reason string
	}{
		{"function not found carries its ARN", fmt.Errorf("resolve: %w", &errdefs.NotFoundError{Err: invoke.ErrFunctionNotFound, ARN: arn}),
			http.StatusNotFound, typeNotFound, "Function not found: " + arn, ""},
		{"throttle carries its reason", fmt.Errorf("invoke f: %w", &errdefs.ThrottleError{Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}),
			http.StatusTooManyRequests, typeTooMany, "Rate Exceeded.", "ReservedFunctionConcurrentInvocationLimitExceeded"},
		{"store not found", fmt.Errorf("%w: f", store.ErrNotFound), http.StatusNotFound, typeNotFound, "not found: f", ""},
		{"store exists", fmt.Errorf("%w: f", store.ErrExists), http.StatusConflict, typeConflict, "already exists: f", ""},
		{"zip too large", fmt.Errorf("%w: 60 MB", codestore.ErrZipTooLarge), http.StatusRequestEntityTooLarge, typeEntityTooLarge,
			"Zipped size must be smaller than 52428800 bytes", ""},
		{"async payload too large", invoke.ErrAsyncPayloadTooLarge, http.StatusRequestEntityTooLarge, typeTooLarge,
			"Request must be smaller than 1048576 bytes for the InvokeFunction operation", ""},
		{"validation", &function.Error{Kind: function.ErrValidation, Msg: "1 validation error"}, http.StatusBadRequest, typeValidation, "1 validation error", ""},
		{"class only", errdefs.New(errdefs.ErrInvalid, "bad thing"), http.StatusBadRequest, typeInvalidParam, "bad thing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mapError(tc.err)
			if got == nil {
				t.Fatal("not mapped")
			}
			if got.Status != tc.status || got.Type != tc.typ || got.Msg != tc.msg || got.Reason != tc.reason {
				t.Fatalf("got %+v", got)
			}
		})
	}
	if got := mapError(fmt.Errorf("disk on fire")); got != nil {
		t.Fatalf("an unclassified error was mapped: %+v", got)
	}
}
