package server

import (
	"encoding/json"
	"fmt"

	"github.com/hearth-run/hearth/internal/sandbox"
	bolt "go.etcd.io/bbolt"
)

// boltScaleOut keeps the ready pool's recent scale-out in the data dir's
// bbolt database, so that a restarted Hearth refills its pool at once.
type boltScaleOut struct{ db *bolt.DB }

var _ sandbox.ScaleOutStore = boltScaleOut{}

var (
	bucketSandbox = []byte("sandbox")
	keyScaleOut   = []byte("scale-out")
)

// LoadScaleOut returns the saved scale-out, or the zero one.
func (b boltScaleOut) LoadScaleOut() (sandbox.ScaleOut, error) {
	var so sandbox.ScaleOut
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSandbox)
		if bk == nil {
			return nil
		}
		v := bk.Get(keyScaleOut)
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &so)
	})
	if err != nil {
		return sandbox.ScaleOut{}, fmt.Errorf("load scale-out: %w", err)
	}
	return so, nil
}

// SaveScaleOut replaces the saved scale-out.
func (b boltScaleOut) SaveScaleOut(so sandbox.ScaleOut) error {
	v, err := json.Marshal(so)
	if err != nil {
		return err
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketSandbox)
		if err != nil {
			return err
		}
		return bk.Put(keyScaleOut, v)
	})
	if err != nil {
		return fmt.Errorf("save scale-out: %w", err)
	}
	return nil
}
