package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

// versionKey orders a function's versions numerically: the number is
// zero-padded so that byte order is numeric order.
func versionKey(name, version string) []byte {
	n, _ := strconv.Atoi(version)
	return []byte(fmt.Sprintf("%s\x00%010d", name, n))
}

func childKey(name, child string) []byte { return []byte(name + "\x00" + child) }

// PublishVersion snapshots the function's $LATEST as a new immutable
// version, numbered one past the last. When $LATEST is unchanged since the
// last published version, that version is returned instead and created is
// false, as Lambda does. check, when set, may refuse the publish (a
// mismatched RevisionId or CodeSha256); description, when set, replaces
// the description of the snapshot.
func (s *Store) PublishVersion(name, description string, check func(*function.Function) error) (_ *function.Config, created bool, _ error) {
	var out function.Config
	err := s.db.Update(func(tx *bolt.Tx) error {
		var fn function.Function
		if err := getFunction(tx, name, &fn); err != nil {
			return err
		}
		if check != nil {
			if err := check(&fn); err != nil {
				return err
			}
		}
		vb := tx.Bucket(bucketVersions)
		if fn.LastVersion > 0 {
			var last function.Config
			v := vb.Get(versionKey(name, strconv.Itoa(fn.LastVersion)))
			if v != nil && json.Unmarshal(v, &last) == nil && fn.Latest.SameCode(last) {
				out = last
				return nil
			}
		}
		fn.LastVersion++
		out = fn.Latest
		out.Version = strconv.Itoa(fn.LastVersion)
		if description != "" {
			out.Description = description
		}
		out.Touch(time.Now())
		created = true
		if err := moveRefs(tx, nil, configCode(&out)); err != nil {
			return err
		}
		if err := putJSON(vb, versionKey(name, out.Version), &out); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketFunctions), []byte(name), &fn)
	})
	if err != nil {
		return nil, false, err
	}
	return &out, created, nil
}

// Version returns a published version of a function.
func (s *Store) Version(name, version string) (*function.Config, error) {
	var c function.Config
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFunctions).Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		v := tx.Bucket(bucketVersions).Get(versionKey(name, version))
		if v == nil || !function.IsVersion(version) {
			return fmt.Errorf("%w: %s:%s", ErrNotFound, name, version)
		}
		return json.Unmarshal(v, &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Versions returns the published versions of a function in number order.
func (s *Store) Versions(name string) ([]*function.Config, error) {
	var out []*function.Config
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFunctions).Get([]byte(name)) == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return eachChild(tx.Bucket(bucketVersions), name, func(v []byte) error {
			var c function.Config
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, &c)
			return nil
		})
	})
	return out, err
}

// DeleteVersion removes a published version and its provisioned
// concurrency configuration. It fails with ErrInUse, naming the aliases,
// while any alias routes to the version.
func (s *Store) DeleteVersion(name, version string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		vb := tx.Bucket(bucketVersions)
		key := versionKey(name, version)
		if !function.IsVersion(version) || vb.Get(key) == nil {
			return fmt.Errorf("%w: %s:%s", ErrNotFound, name, version)
		}
		var users []string
		err := eachChild(tx.Bucket(bucketAliases), name, func(v []byte) error {
			var a function.Alias
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if _, routed := a.Weights[version]; a.Version == version || routed {
				users = append(users, a.Name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			sort.Strings(users)
			return &InUseError{Aliases: users}
		}
		var c function.Config
		if err := json.Unmarshal(vb.Get(key), &c); err != nil {
			return fmt.Errorf("decode version %s:%s: %w", name, version, err)
		}
		if err := moveRefs(tx, configCode(&c), nil); err != nil {
			return err
		}
		if err := vb.Delete(key); err != nil {
			return err
		}
		if err := deleteQualifierExtras(tx, name, version); err != nil {
			return err
		}
		return tx.Bucket(bucketProvisioned).Delete(childKey(name, version))
	})
}

// InUseError says which aliases still route to a version being deleted.
type InUseError struct {
	Aliases []string
}

func (e *InUseError) Error() string {
	return "version is referenced by aliases [" + strings.Join(e.Aliases, ", ") + "]"
}

// Unwrap makes an InUseError match ErrInUse.
func (e *InUseError) Unwrap() error { return ErrInUse }

// eachChild calls f with the value of every key of b under the function.
func eachChild(b *bolt.Bucket, name string, f func(v []byte) error) error {
	prefix := childPrefix(name)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := f(v); err != nil {
			return fmt.Errorf("decode %q: %w", k, err)
		}
	}
	return nil
}
