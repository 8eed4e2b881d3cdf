package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
	bolt "go.etcd.io/bbolt"
)

var (
	// bucketLayers holds layer versions keyed by layerKey.
	bucketLayers = []byte("layers")
	// bucketLayerNames holds, per layer name, the last version number ever
	// published, so that numbers are never reused after a delete.
	bucketLayerNames = []byte("layerNames")
)

// layerKey orders a layer's versions numerically under its name.
func layerKey(name string, version int64) []byte {
	return []byte(fmt.Sprintf("%s\x00%020d", name, version))
}

// PublishLayerVersion stores lv as the next version of its layer, one past
// the last version ever published under that name, and returns it with its
// number set.
func (s *Store) PublishLayerVersion(lv *function.LayerVersion) (*function.LayerVersion, error) {
	out := *lv
	err := s.db.Update(func(tx *bolt.Tx) error {
		names, err := tx.CreateBucketIfNotExists(bucketLayerNames)
		if err != nil {
			return err
		}
		layers, err := tx.CreateBucketIfNotExists(bucketLayers)
		if err != nil {
			return err
		}
		last := int64(0)
		if v := names.Get([]byte(lv.Name)); v != nil {
			if last, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return fmt.Errorf("decode last version of layer %s: %w", lv.Name, err)
			}
		}
		out.Version = last + 1
		if err := names.Put([]byte(lv.Name), []byte(strconv.FormatInt(out.Version, 10))); err != nil {
			return err
		}
		if err := moveRefs(tx, nil, []string{out.CodeSHA256}); err != nil {
			return err
		}
		return putJSON(layers, layerKey(out.Name, out.Version), &out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// LayerVersion returns one version of a layer.
func (s *Store) LayerVersion(name string, version int64) (*function.LayerVersion, error) {
	var lv function.LayerVersion
	err := s.db.View(func(tx *bolt.Tx) error {
		return getLayerVersion(tx, name, version, &lv)
	})
	if err != nil {
		return nil, err
	}
	return &lv, nil
}

func getLayerVersion(tx *bolt.Tx, name string, version int64, lv *function.LayerVersion) error {
	var v []byte
	if b := tx.Bucket(bucketLayers); b != nil {
		v = b.Get(layerKey(name, version))
	}
	if v == nil {
		return fmt.Errorf("%w: layer %s:%d", ErrNotFound, name, version)
	}
	if err := json.Unmarshal(v, lv); err != nil {
		return fmt.Errorf("decode layer %s:%d: %w", name, version, err)
	}
	return nil
}

// LayerVersions returns the versions of a layer that exist, newest first.
func (s *Store) LayerVersions(name string) ([]*function.LayerVersion, error) {
	var out []*function.LayerVersion
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLayers)
		if b == nil {
			return nil
		}
		return eachChild(b, name, func(v []byte) error {
			var lv function.LayerVersion
			if err := json.Unmarshal(v, &lv); err != nil {
				return err
			}
			out = append([]*function.LayerVersion{&lv}, out...)
			return nil
		})
	})
	return out, err
}

// Layers returns the names of all layers that have at least one version,
// in name order.
func (s *Store) Layers() ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLayers)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			name, _, _ := bytes.Cut(k, []byte{0})
			if len(out) == 0 || out[len(out)-1] != string(name) {
				out = append(out, string(name))
			}
			return nil
		})
	})
	return out, err
}

// UpdateLayerVersion applies change to a stored layer version in one
// transaction; nothing is written when change fails.
func (s *Store) UpdateLayerVersion(name string, version int64, change func(*function.LayerVersion) error) (*function.LayerVersion, error) {
	var lv function.LayerVersion
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getLayerVersion(tx, name, version, &lv); err != nil {
			return err
		}
		before := lv.CodeSHA256
		if err := change(&lv); err != nil {
			return err
		}
		if err := moveRefs(tx, []string{before}, []string{lv.CodeSHA256}); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketLayers), layerKey(name, version), &lv)
	})
	if err != nil {
		return nil, err
	}
	return &lv, nil
}

// DeleteLayerVersion removes a layer version and returns it. Functions
// that use it keep their copy of the reference (and so its code); its
// number is not reused.
func (s *Store) DeleteLayerVersion(name string, version int64) (*function.LayerVersion, error) {
	var lv function.LayerVersion
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getLayerVersion(tx, name, version, &lv); err != nil {
			return err
		}
		if err := moveRefs(tx, []string{lv.CodeSHA256}, nil); err != nil {
			return err
		}
		return tx.Bucket(bucketLayers).Delete(layerKey(name, version))
	})
	if err != nil {
		return nil, err
	}
	return &lv, nil
}
