package store

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

// bucketCodeRefs counts, per code package digest, the function, version
// and layer version records that refer to it. Every write of such a record
// updates the counts in the same transaction, so a package with a count of
// zero is referred to by nothing that was committed.
var bucketCodeRefs = []byte("codeRefs")

// configCode lists the code packages a configuration refers to: its own
// and its layers'.
func configCode(c *function.Config) []string {
	out := make([]string, 0, 1+len(c.Layers))
	if c.CodeSHA256 != "" {
		out = append(out, c.CodeSHA256)
	}
	for _, l := range c.Layers {
		if l.CodeSHA256 != "" {
			out = append(out, l.CodeSHA256)
		}
	}
	return out
}

// moveRefs drops one reference to each digest of drop and adds one to each
// of add.
func moveRefs(tx *bolt.Tx, drop, add []string) error {
	b := tx.Bucket(bucketCodeRefs)
	for _, d := range []struct {
		shas  []string
		delta int
	}{{drop, -1}, {add, 1}} {
		for _, sha := range d.shas {
			if sha == "" {
				continue
			}
			n, err := refCount(b, sha)
			if err != nil {
				return err
			}
			n += d.delta
			if n < 0 {
				return fmt.Errorf("code %s: reference count below zero", sha)
			}
			if n == 0 {
				err = b.Delete([]byte(sha))
			} else {
				err = b.Put([]byte(sha), []byte(strconv.Itoa(n)))
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func refCount(b *bolt.Bucket, sha string) (int, error) {
	v := b.Get([]byte(sha))
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, fmt.Errorf("code %s: reference count %q: %w", sha, v, err)
	}
	return n, nil
}

// initCodeRefs creates the reference counts of a database written before
// they existed, by counting the stored records once.
func initCodeRefs(tx *bolt.Tx) error {
	if tx.Bucket(bucketCodeRefs) != nil {
		return nil
	}
	counts, err := countCodeRefs(tx)
	if err != nil {
		return err
	}
	b, err := tx.CreateBucket(bucketCodeRefs)
	if err != nil {
		return err
	}
	for sha, n := range counts {
		if err := b.Put([]byte(sha), []byte(strconv.Itoa(n))); err != nil {
			return err
		}
	}
	return nil
}

// countCodeRefs counts the references of every stored record.
func countCodeRefs(tx *bolt.Tx) (map[string]int, error) {
	counts := map[string]int{}
	count := func(shas []string) {
		for _, sha := range shas {
			if sha != "" {
				counts[sha]++
			}
		}
	}
	err := tx.Bucket(bucketFunctions).ForEach(func(k, v []byte) error {
		var fn function.Function
		if err := json.Unmarshal(v, &fn); err != nil {
			return fmt.Errorf("decode function %s: %w", k, err)
		}
		count(configCode(&fn.Latest))
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.Bucket(bucketVersions).ForEach(func(k, v []byte) error {
		var c function.Config
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode version %q: %w", k, err)
		}
		count(configCode(&c))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if b := tx.Bucket(bucketLayers); b != nil {
		err = b.ForEach(func(k, v []byte) error {
			var lv function.LayerVersion
			if err := json.Unmarshal(v, &lv); err != nil {
				return fmt.Errorf("decode layer version %q: %w", k, err)
			}
			count([]string{lv.CodeSHA256})
			return nil
		})
	}
	return counts, err
}

// CodeInUse reports whether any function, version or layer version refers
// to the code package with the given hex digest (a function's layers
// included).
func (s *Store) CodeInUse(sha string) (bool, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = refCount(tx.Bucket(bucketCodeRefs), sha)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("code %s in use: %w", sha, err)
	}
	return n > 0, nil
}

// CheckCodeRefs recounts every record's references and reports a
// difference from the stored counts; for tests and `hearth` self-checks.
func (s *Store) CheckCodeRefs() error {
	return s.db.View(func(tx *bolt.Tx) error {
		want, err := countCodeRefs(tx)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketCodeRefs)
		err = b.ForEach(func(k, _ []byte) error {
			if _, ok := want[string(k)]; !ok {
				return fmt.Errorf("code %s counted but referred to by nothing", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for sha, n := range want {
			got, err := refCount(b, sha)
			if err != nil {
				return err
			}
			if got != n {
				return fmt.Errorf("code %s: %d references counted, %d stored", sha, got, n)
			}
		}
		return nil
	})
}
