package jsstore

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// PublishVersion snapshots $LATEST as a new version, one past the last,
// or returns the last version with created false when $LATEST is
// unchanged since; check, when set, may refuse the publish.
func (s *Store) PublishVersion(name, description string, check func(*function.Function) error) (*function.Config, bool, error) {
	var out function.Config
	var created bool
	err := s.change(name, func(d *funcDoc) (op, error) {
		if check != nil {
			if err := check(&d.Function); err != nil {
				return keep, err
			}
		}
		fn := &d.Function
		if last, ok := d.Versions[strconv.Itoa(fn.LastVersion)]; ok && fn.LastVersion > 0 && fn.Latest.SameCode(*last) {
			out, created = *last, false
			return keep, nil
		}
		fn.LastVersion++
		out = fn.Latest
		out.Version = strconv.Itoa(fn.LastVersion)
		if description != "" {
			out.Description = description
		}
		out.Touch(time.Now())
		created = true
		v := out
		setIn(&d.Versions, out.Version, &v)
		return put, nil
	})
	if err != nil {
		return nil, false, err
	}
	return &out, created, nil
}

// Version returns a published version of a function.
func (s *Store) Version(name, version string) (*function.Config, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	v, ok := d.Versions[version]
	if !ok || !function.IsVersion(version) {
		return nil, fmt.Errorf("%w: %s:%s", store.ErrNotFound, name, version)
	}
	return v, nil
}

// Versions returns the published versions of a function in number order.
func (s *Store) Versions(name string) ([]*function.Config, error) {
	d, err := s.doc(name)
	if err != nil {
		return nil, err
	}
	out := make([]*function.Config, 0, len(d.Versions))
	for _, v := range d.Versions {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].Version)
		b, _ := strconv.Atoi(out[j].Version)
		return a < b
	})
	return out, nil
}

// DeleteVersion removes a published version with its provisioned
// concurrency configuration, policy and URL. It fails with an
// *store.InUseError while any alias routes to the version.
func (s *Store) DeleteVersion(name, version string) error {
	var gone string
	err := s.change(name, func(d *funcDoc) (op, error) {
		if _, ok := d.Versions[version]; !ok || !function.IsVersion(version) {
			return keep, fmt.Errorf("%w: %s:%s", store.ErrNotFound, name, version)
		}
		var users []string
		for _, a := range d.Aliases {
			if _, routed := a.Weights[version]; a.Version == version || routed {
				users = append(users, a.Name)
			}
		}
		if len(users) > 0 {
			sort.Strings(users)
			return keep, &store.InUseError{Aliases: users}
		}
		delete(d.Versions, version)
		delete(d.Provisioned, version)
		gone = d.dropQualifierExtras(version)
		return put, nil
	})
	if err == nil && gone != "" {
		s.dropURLID(gone)
	}
	return err
}

// dropQualifierExtras removes the policy and URL of a version or alias
// that is going away, and returns the id of the URL removed, if any.
func (d *funcDoc) dropQualifierExtras(qualifier string) (urlID string) {
	delete(d.Policies, qualifier)
	if u, ok := d.URLs[urlKey(qualifier)]; ok {
		urlID = u.URLID
		delete(d.URLs, urlKey(qualifier))
	}
	return urlID
}
