package queue

import (
	"context"
	"encoding/binary"
	"testing"

	"go.etcd.io/bbolt"
)

var benchPayload = []byte(`{"Records":[{"s3":{"bucket":{"name":"photos"},"object":{"key":"cat.jpg","size":1024}}}]}`)

// BenchmarkEnqueueSerial measures durable (fsynced) enqueues from one caller:
// every event pays a whole commit.
func BenchmarkEnqueueSerial(b *testing.B) {
	db, _ := tempDB(b)
	q, err := New(Options{DB: db})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := q.Enqueue(ctx, Event{Function: "fn", Payload: benchPayload}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEnqueueParallel measures durable enqueues from many callers, which
// share fsyncs through the group commit.
func BenchmarkEnqueueParallel(b *testing.B) {
	db, _ := tempDB(b)
	q, err := New(Options{DB: db})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := q.Enqueue(ctx, Event{Function: "fn", Payload: benchPayload}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkBoltBatchParallel is the comparison point: the same number of
// callers writing one key each through bbolt's DB.Batch (default 10 ms
// batch delay, 1000 calls per batch).
func BenchmarkBoltBatchParallel(b *testing.B) {
	benchBolt(b, 32, func(db *bbolt.DB, fn func(*bbolt.Tx) error) error { return db.Batch(fn) })
}

// BenchmarkBoltBatchSerial shows DB.Batch with a single caller, which waits
// for the batch delay on every call.
func BenchmarkBoltBatchSerial(b *testing.B) {
	benchBolt(b, 0, func(db *bbolt.DB, fn func(*bbolt.Tx) error) error { return db.Batch(fn) })
}

// BenchmarkBoltUpdateSerial is the floor of one fsynced bbolt transaction.
func BenchmarkBoltUpdateSerial(b *testing.B) {
	benchBolt(b, 0, func(db *bbolt.DB, fn func(*bbolt.Tx) error) error { return db.Update(fn) })
}

func benchBolt(b *testing.B, parallelism int, write func(*bbolt.DB, func(*bbolt.Tx) error) error) {
	db, _ := tempDB(b)
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		b.Fatal(err)
	}
	put := func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte("b"))
		seq, _ := bk.NextSequence()
		return bk.Put(binary.BigEndian.AppendUint64(nil, seq), benchPayload)
	}
	if parallelism == 0 {
		for b.Loop() {
			if err := write(db, put); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := write(db, put); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
