package codestore

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Address is the digest under which Put stores zip: the hex sha256 of its
// bytes.
func Address(zip []byte) string {
	sum := sha256.Sum256(zip)
	return hex.EncodeToString(sum[:])
}

// holds serialises, per digest, the decision to keep or remove a package
// with the recording of a new reference to it.
type holds struct {
	mu sync.Mutex // guards m
	m  map[string]*hold
}

type hold struct {
	mu   sync.Mutex
	refs int // holders and waiters, guarded by holds.mu
}

// Hold takes the digest's lock and returns its release. A caller that
// stores code and then records a reference to it holds the digest across
// both; one that checks for references before Delete holds it across both
// too, and GC holds each digest it examines. So a package is never removed
// between its Put and the commit of the record that needs it.
func (s *Store) Hold(sha string) (release func()) {
	h := &s.holds
	h.mu.Lock()
	if h.m == nil {
		h.m = map[string]*hold{}
	}
	e := h.m[sha]
	if e == nil {
		e = &hold{}
		h.m[sha] = e
	}
	e.refs++
	h.mu.Unlock()
	e.mu.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Unlock()
			h.mu.Lock()
			if e.refs--; e.refs == 0 {
				delete(h.m, sha)
			}
			h.mu.Unlock()
		})
	}
}
