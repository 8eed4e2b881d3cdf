package storetest

import (
	"errors"
	"testing"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

var urlCases = []testCase{
	{"function URLs", func(t *testing.T, _ Harness, s store.Metadata) {
		c := &function.URLConfig{Function: "f", URLID: function.NewURLID(), AuthType: function.AuthNone}
		wantErr(t, "URL of a missing function", s.CreateURLConfig(c), store.ErrNotFound)
		mustCreate(t, s, "f")
		if err := s.CreateURLConfig(c); err != nil {
			t.Fatal(err)
		}
		dup := *c
		dup.URLID = function.NewURLID()
		dup.Qualifier = function.Latest // the same URL as the unqualified one
		wantErr(t, "second URL for $LATEST", s.CreateURLConfig(&dup), store.ErrExists)
		wantErr(t, "URL of a missing alias", s.CreateURLConfig(&function.URLConfig{Function: "f", Qualifier: "live", URLID: function.NewURLID()}), store.ErrNotFound)
		mustPublish(t, s, "f", nil)
		if err := s.CreateAlias(&function.Alias{Name: "live", Function: "f", Version: "1"}); err != nil {
			t.Fatal(err)
		}
		taken := &function.URLConfig{Function: "f", Qualifier: "live", URLID: c.URLID}
		wantErr(t, "a URL id in use", s.CreateURLConfig(taken), store.ErrExists)
		live := &function.URLConfig{Function: "f", Qualifier: "live", URLID: function.NewURLID(), AuthType: function.AuthNone}
		if err := s.CreateURLConfig(live); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ id, qualifier string }{{c.URLID, ""}, {live.URLID, "live"}} {
			got, err := s.URLConfigByID(tt.id)
			if err != nil || got.Function != "f" || got.Qualifier != tt.qualifier {
				t.Fatalf("by id %s: %+v %v", tt.id, got, err)
			}
		}
		if got, err := s.URLConfig("f", function.Latest); err != nil || got.URLID != c.URLID {
			t.Fatalf("$LATEST is the unqualified URL: %+v %v", got, err)
		}
		if us, err := s.URLConfigs("f"); err != nil || len(us) != 2 {
			t.Fatalf("URLs of f: %+v %v", us, err)
		}
		_, err := s.URLConfigs("ghost")
		wantErr(t, "URLs of a missing function", err, store.ErrNotFound)
		urlUpdates(t, s, c.URLID)
	}},
}

// urlUpdates checks UpdateURLConfig and DeleteURLConfig on f's
// unqualified URL, whose id is id.
func urlUpdates(t *testing.T, s store.Metadata, id string) {
	u, err := s.UpdateURLConfig("f", "", func(u *function.URLConfig) error { u.AuthType = function.AuthIAM; return nil })
	if err != nil || u.AuthType != function.AuthIAM || u.LastModified.IsZero() {
		t.Fatalf("update: %+v %v", u, err)
	}
	refuse := errors.New("refused")
	_, err = s.UpdateURLConfig("f", "", func(u *function.URLConfig) error { u.AuthType = function.AuthNone; return refuse })
	wantErr(t, "refused update", err, refuse)
	if got, _ := s.URLConfigByID(id); got.AuthType != function.AuthIAM {
		t.Fatalf("a refused update was written: %+v", got)
	}
	_, err = s.UpdateURLConfig("f", "nope", func(*function.URLConfig) error { return nil })
	wantErr(t, "update of a missing URL", err, store.ErrNotFound)
	if err := s.DeleteURLConfig("f", ""); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second delete", s.DeleteURLConfig("f", ""), store.ErrNotFound)
	_, err = s.URLConfigByID(id)
	wantErr(t, "id of a deleted URL", err, store.ErrNotFound)
	c := &function.URLConfig{Function: "f", URLID: function.NewURLID(), AuthType: function.AuthNone}
	if err := s.CreateURLConfig(c); err != nil {
		t.Fatalf("a new URL after delete: %v", err)
	}
}
