package jsstore

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/store"
)

// layerDoc is a layer: the last version number ever published under its
// name (never reused) and the versions that exist.
type layerDoc struct {
	Name     string                            `json:"name"`
	Last     int64                             `json:"last"`
	Versions map[string]*function.LayerVersion `json:"versions,omitempty"`
}

func layerNotFound(name string, version int64) error {
	return fmt.Errorf("%w: layer %s:%d", store.ErrNotFound, name, version)
}

// PublishLayerVersion stores lv as the next version of its layer and
// returns it with its number set.
func (s *Store) PublishLayerVersion(lv *function.LayerVersion) (*function.LayerVersion, error) {
	var out function.LayerVersion
	err := mutate(s.layers, lv.Name, func(d *layerDoc, _ bool) (op, error) {
		d.Name = lv.Name
		d.Last++
		out = *lv
		out.Version = d.Last
		v := out
		setIn(&d.Versions, strconv.FormatInt(out.Version, 10), &v)
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// LayerVersion returns one version of a layer.
func (s *Store) LayerVersion(name string, version int64) (*function.LayerVersion, error) {
	d, err := get[layerDoc](s.layers, name, layerNotFound(name, version))
	if err != nil {
		return nil, err
	}
	lv, ok := d.Versions[strconv.FormatInt(version, 10)]
	if !ok {
		return nil, layerNotFound(name, version)
	}
	return lv, nil
}

// LayerVersions returns the versions of a layer that exist, newest first.
func (s *Store) LayerVersions(name string) ([]*function.LayerVersion, error) {
	d, err := get[layerDoc](s.layers, name, nil)
	if err != nil || d == nil {
		return nil, err
	}
	out := make([]*function.LayerVersion, 0, len(d.Versions))
	for _, lv := range d.Versions {
		out = append(out, lv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

// Layers returns the names of all layers that have at least one version,
// in name order.
func (s *Store) Layers() ([]string, error) {
	docs, err := all[layerDoc](s.layers)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range docs {
		if len(d.Versions) > 0 {
			out = append(out, d.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// UpdateLayerVersion applies change to a stored layer version; nothing is
// written when change fails.
func (s *Store) UpdateLayerVersion(name string, version int64, change func(*function.LayerVersion) error) (*function.LayerVersion, error) {
	var out function.LayerVersion
	err := mutate(s.layers, name, func(d *layerDoc, _ bool) (op, error) {
		lv, ok := d.Versions[strconv.FormatInt(version, 10)]
		if !ok {
			return keep, layerNotFound(name, version)
		}
		if err := change(lv); err != nil {
			return keep, err
		}
		out = *lv
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteLayerVersion removes a layer version and returns it; its number is
// not reused.
func (s *Store) DeleteLayerVersion(name string, version int64) (*function.LayerVersion, error) {
	var out function.LayerVersion
	err := mutate(s.layers, name, func(d *layerDoc, _ bool) (op, error) {
		k := strconv.FormatInt(version, 10)
		lv, ok := d.Versions[k]
		if !ok {
			return keep, layerNotFound(name, version)
		}
		out = *lv
		delete(d.Versions, k)
		return put, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
