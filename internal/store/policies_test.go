package store

import (
	"errors"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
)

func TestPolicyStatements(t *testing.T) {
	s, path := openTest(t)
	if err := s.CreateFunction(newFunction("f")); err != nil {
		t.Fatal(err)
	}
	st := function.Statement{Sid: "a", Effect: "Allow", Principal: "*", Action: "lambda:InvokeFunctionUrl", Resource: "arn"}
	if _, err := s.Policy("f", ""); !errors.As(err, new(*PolicyNotFoundError)) {
		t.Fatalf("policy before any statement: %v", err)
	}
	p, err := s.AddStatement("f", "", st, nil)
	if err != nil || len(p.Statements) != 1 || p.RevisionID == "" {
		t.Fatalf("add: %+v %v", p, err)
	}
	if _, err := s.AddStatement("f", "", st, nil); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate sid: %v", err)
	}
	if _, err := s.AddStatement("f", "live", st, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing alias: %v", err)
	}
	if _, err := s.AddStatement("g", "", st, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing function: %v", err)
	}
	refuse := errors.New("refused")
	st.Sid = "b"
	if _, err := s.AddStatement("f", "", st, func(*function.Policy, string) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("check: %v", err)
	}
	// Reopening keeps the policy: it is on disk.
	s.Close()
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Policy("f", "")
	if err != nil || len(got.Statements) != 1 || got.RevisionID != p.RevisionID {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	var pn *PolicyNotFoundError
	if err := s2.RemoveStatement("f", "", "zzz", nil); !errors.As(err, &pn) || pn.Sid != "zzz" {
		t.Fatalf("remove missing sid: %v", err)
	}
	if err := s2.RemoveStatement("f", "", "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Policy("f", ""); !errors.As(err, &pn) {
		t.Fatalf("policy after removing its last statement: %v", err)
	}
}

func TestURLConfigsGoWithTheirFunction(t *testing.T) {
	s, _ := openTest(t)
	if err := s.CreateFunction(newFunction("f")); err != nil {
		t.Fatal(err)
	}
	c := &function.URLConfig{Function: "f", URLID: function.NewURLID(), AuthType: function.AuthNone}
	if err := s.CreateURLConfig(c); err != nil {
		t.Fatal(err)
	}
	dup := *c
	dup.URLID = function.NewURLID()
	dup.Qualifier = function.Latest // the same URL as the unqualified one
	if err := s.CreateURLConfig(&dup); !errors.Is(err, ErrExists) {
		t.Fatalf("second URL for $LATEST: %v", err)
	}
	if got, err := s.URLConfigByID(c.URLID); err != nil || got.Function != "f" {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if err := s.DeleteFunction("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.URLConfigByID(c.URLID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("URL id after deleting the function: %v", err)
	}
	if err := s.CreateFunction(newFunction("f")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.URLConfig("f", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("URL of a re-created function: %v", err)
	}
}
