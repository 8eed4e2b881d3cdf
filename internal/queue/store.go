package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// bucketEvents holds one record per stored event, keyed by an 8-byte
// big-endian sequence so that a cursor walks events in arrival order.
var bucketEvents = []byte("queue.events")

// record is an event as stored, with its delivery state.
type record struct {
	ID           string    `json:"id"`
	Function     string    `json:"fn"`
	Qualifier    string    `json:"q,omitempty"`
	Payload      []byte    `json:"p,omitempty"`
	Accepted     time.Time `json:"at"`
	Attempts     int       `json:"n,omitempty"`
	NotBefore    time.Time `json:"nb,omitzero"`
	LastError    string    `json:"le,omitempty"` // function error of the last attempt
	LastResponse []byte    `json:"lr,omitempty"` // its payload
	LastVersion  string    `json:"lv,omitempty"` // its executed version

	seq uint64 // bucket key; 0 until stored
}

func recordOf(ev Event) *record {
	return &record{ID: ev.ID, Function: ev.Function, Qualifier: ev.Qualifier,
		Payload: ev.Payload, Accepted: ev.Accepted, Attempts: ev.Attempts}
}

func (r *record) event() Event {
	return Event{ID: r.ID, Function: r.Function, Qualifier: r.Qualifier,
		Payload: r.Payload, Accepted: r.Accepted, Attempts: r.Attempts}
}

// op is one change in a commit: delete a stored event, put a record, or both.
// A put of a record whose seq is 0 stores a new event.
type op struct {
	del uint64
	put *record
}

// commitReq is one caller's ops waiting for a shared transaction.
type commitReq struct {
	ops  []op
	done chan commitResult // capacity 1
}

type commitResult struct {
	err  error
	lead bool // the receiver becomes the leader and writes the next group
}

// commit applies ops in a transaction shared with concurrent callers and
// returns once it is fsynced. New events are added to the dispatch state.
//
// Group commit: a caller that finds no transaction under way leads: it writes
// every waiting request in one transaction. Requests that arrive meanwhile
// wait; when the leader is done it hands the lead to the first of them, so no
// caller waits for more than two transactions and none is delayed by a timer.
func (q *Queue) commit(ops []op) error {
	req := &commitReq{ops: ops, done: make(chan commitResult, 1)}
	q.cmu.Lock()
	q.pending = append(q.pending, req)
	lead := !q.writing
	q.writing = true
	q.cmu.Unlock()
	if !lead {
		res := <-req.done
		if !res.lead {
			return res.err
		}
	}
	q.cmu.Lock()
	group := q.pending
	q.pending = nil
	q.cmu.Unlock()

	err := q.write(group)

	q.cmu.Lock()
	if len(q.pending) > 0 {
		q.pending[0].done <- commitResult{lead: true}
	} else {
		q.writing = false
	}
	q.cmu.Unlock()
	for _, r := range group {
		if r != req {
			r.done <- commitResult{err: err}
		}
	}
	return err
}

// write runs one transaction for a group, then adds its new events to the
// dispatch state and wakes the dispatcher.
func (q *Queue) write(group []*commitReq) error {
	var added []*record
	err := q.opts.DB.Update(func(tx *bbolt.Tx) error {
		added = added[:0]
		b := tx.Bucket(bucketEvents)
		if b == nil {
			return fmt.Errorf("bucket %s missing", bucketEvents)
		}
		for _, r := range group {
			for _, o := range r.ops {
				if err := applyOp(b, o, &added); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit %d requests: %w", len(group), err)
	}
	if len(added) > 0 {
		q.mu.Lock()
		for _, rec := range added {
			q.addLocked(itemOf(rec))
		}
		q.mu.Unlock()
		q.signal()
	}
	return nil
}

func applyOp(b *bbolt.Bucket, o op, added *[]*record) error {
	if o.del != 0 {
		if err := b.Delete(key(o.del)); err != nil {
			return err
		}
	}
	if o.put == nil {
		return nil
	}
	if o.put.seq == 0 {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		o.put.seq = seq
		*added = append(*added, o.put)
	}
	v, err := json.Marshal(o.put)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", o.put.ID, err)
	}
	return b.Put(key(o.put.seq), v)
}

// load creates the bucket if needed and adds every stored event to the
// dispatch state.
func (q *Queue) load() error {
	err := q.opts.DB.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketEvents)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: create bucket: %w", err)
	}
	return q.opts.DB.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			rec, err := decode(k, v)
			if err != nil {
				return fmt.Errorf("queue: load: %w", err)
			}
			q.addLocked(itemOf(rec)) // New has not returned: no other goroutine
			return nil
		})
	})
}

// read returns the stored record of seq.
func (q *Queue) read(seq uint64) (*record, error) {
	var rec *record
	err := q.opts.DB.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketEvents).Get(key(seq))
		if v == nil {
			return fmt.Errorf("event %d: %w", seq, ErrNotFound)
		}
		var err error
		rec, err = decode(key(seq), v)
		return err
	})
	return rec, err
}

func decode(k, v []byte) (*record, error) {
	rec := new(record)
	if err := json.Unmarshal(v, rec); err != nil {
		return nil, fmt.Errorf("decode event %x: %w", k, err)
	}
	rec.seq = binary.BigEndian.Uint64(k)
	return rec, nil
}

func key(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}
