package api

import (
	"errors"

	"github.com/hearth-run/hearth/internal/codestore"
)

// Code packages live as long as a committed record refers to them. The
// store counts references in the transaction that writes each record; the
// code store's Hold serialises, per digest, storing code and committing a
// reference to it against deciding to remove it. So a package is never
// removed between its Put and the commit that needs it, even when a
// function with the same code is deleted meanwhile.

// holdCode holds the digest of zip; the caller releases it once the record
// that refers to the stored code is committed, or failed.
func (s *Server) holdCode(zip []byte) (release func()) {
	return s.opts.Code.Hold(codestore.Address(zip))
}

// dropCode removes a code package that nothing refers to any more. A
// failure is logged: the package stays until the next collection.
func (s *Server) dropCode(sha string) {
	if sha == "" {
		return
	}
	if err := s.removeUnused(sha); err != nil {
		s.log.Error("code package not removed; it is collected later", "sha256", sha, "err", err)
	}
}

func (s *Server) removeUnused(sha string) error {
	release := s.opts.Code.Hold(sha)
	defer release()
	used, err := s.opts.Store.CodeInUse(sha)
	if err != nil || used {
		return err
	}
	if err := s.opts.Code.Delete(sha); err != nil && !errors.Is(err, codestore.ErrNotFound) {
		return err
	}
	return nil
}

// collectCode removes every stored package no record refers to: after a
// function's deletion, its versions' and layers' packages.
func (s *Server) collectCode() {
	n, err := CollectCode(s.opts.Code, s.opts.Store)
	if err != nil {
		s.log.Error("collecting unused code failed", "err", err)
	}
	if n > 0 {
		s.log.Info("unused code packages removed", "count", n)
	}
}

// CodeCollector is the code store as CollectCode needs it.
type CodeCollector interface {
	GC(keep func(sha string) bool) (int, error)
}

// CodeRefs tells whether records refer to a package.
type CodeRefs interface {
	CodeInUse(sha string) (bool, error)
}

// CollectCode removes the stored packages that no record refers to and
// returns how many; a package whose references cannot be read is kept.
// Hearth runs it at start and after deleting a function.
func CollectCode(code CodeCollector, refs CodeRefs) (int, error) {
	return code.GC(func(sha string) bool {
		used, err := refs.CodeInUse(sha)
		return used || err != nil
	})
}
