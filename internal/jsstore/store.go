// Package jsstore keeps Hearth's metadata in NATS JetStream key-value
// buckets, so that every node of a cluster sees the same functions,
// versions, aliases and settings. It implements store.Metadata and passes
// the same conformance suite as the bbolt store.
//
// # Layout
//
// A function and everything that belongs to it (versions, aliases,
// provisioned and event invoke configs, policies, URL configurations) is
// one document under the function's name in the functions bucket, so that
// every change to a function is a single compare-and-set on that key's
// revision: a change reads the document and its revision, applies the
// caller's change and writes it back only if the revision is unchanged,
// retrying from a fresh read otherwise. RevisionId checks therefore hold
// across nodes exactly as they do inside one bbolt transaction. Layers (one
// document per layer name), rules (one per rule) and URL ids (id → owner)
// have buckets of their own.
//
// The buckets are replicated Replicas times by JetStream (Raft), so a write
// that returned is on a majority of the servers.
package jsstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hearth-run/hearth/internal/store"
)

// Options configures Open.
type Options struct {
	// Prefix is put before every bucket name; default "hearth". Tests use
	// it to give each store buckets of its own on one server.
	Prefix string
	// Replicas is how many servers hold each bucket: 3 in a cluster of
	// three or more, else 1 (the default).
	Replicas int
	// Timeout bounds each store operation, retries included; default 30s.
	Timeout time.Duration
}

// Store is the metadata store in JetStream.
type Store struct {
	functions bucket
	layers    bucket
	rules     bucket
	urlIDs    bucket
	timeout   time.Duration
}

var _ store.Metadata = (*Store)(nil)

// Open creates (or joins) the buckets and returns the store.
func Open(ctx context.Context, js jetstream.JetStream, opts Options) (*Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = "hearth"
	}
	if opts.Replicas < 1 {
		opts.Replicas = 1
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	s := &Store{timeout: opts.Timeout}
	for _, b := range []struct {
		name string
		dst  *bucket
	}{{"functions", &s.functions}, {"layers", &s.layers}, {"rules", &s.rules}, {"urlids", &s.urlIDs}} {
		kv, err := openBucket(ctx, js, opts.Prefix+"-"+b.name, opts.Replicas)
		if err != nil {
			return nil, fmt.Errorf("key-value bucket %s-%s: %w", opts.Prefix, b.name, err)
		}
		*b.dst = bucket{kv: kv, timeout: opts.Timeout}
	}
	return s, nil
}

// openBucket binds to a bucket, creating it when missing. Reads go to the
// stream's leader (direct gets, which any replica may answer from a state
// behind the last write, are turned off), so a node reads its own writes
// and a compare-and-set starts from the latest revision.
func openBucket(ctx context.Context, js jetstream.JetStream, name string, replicas int) (jetstream.KeyValue, error) {
	_, err := js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: name, History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			err = nil // another node created it meanwhile
		}
	}
	if err != nil {
		return nil, err
	}
	stream, err := js.Stream(ctx, "KV_"+name)
	if err != nil {
		return nil, err
	}
	if cfg := stream.CachedInfo().Config; cfg.AllowDirect || cfg.Replicas < replicas {
		cfg.AllowDirect = false
		cfg.Replicas = max(cfg.Replicas, replicas)
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("leader reads: %w", err)
		}
	}
	return js.KeyValue(ctx, name)
}

// Close does nothing: the JetStream connection belongs to the caller.
func (s *Store) Close() error { return nil }

// bucket is one key-value bucket holding JSON documents.
type bucket struct {
	kv      jetstream.KeyValue
	timeout time.Duration
}

// op says what a change wants written.
type op int

const (
	keep op = iota // write nothing
	put            // write the changed document
	drop           // delete the key
)

// maxAttempts bounds the compare-and-set retries of one change.
const maxAttempts = 200

// safeKey matches names usable as a key as they are.
var safeKey = regexp.MustCompile(`^[-_a-zA-Z0-9]+$`)

// key turns a name into a valid key: names of other characters are hex
// encoded behind "=", which no Lambda name contains.
func key(name string) string {
	if safeKey.MatchString(name) {
		return name
	}
	return "=" + hex.EncodeToString([]byte(name))
}

func (b bucket) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.timeout)
}

// load reads the document under name into v. It returns the revision and
// whether the key exists.
func (b bucket) load(ctx context.Context, name string, v any) (uint64, bool, error) {
	var e jetstream.KeyValueEntry
	err := try(ctx, func(ctx context.Context) (err error) {
		e, err = b.kv.Get(ctx, key(name))
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read %s: %w", name, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, false, fmt.Errorf("decode %s: %w", name, err)
	}
	return e.Revision(), true, nil
}

// get reads the document under name; missing is the error when there is
// none.
func get[T any](b bucket, name string, missing error) (*T, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	var v T
	_, ok, err := b.load(ctx, name, &v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, missing
	}
	return &v, nil
}

// mutate applies change to the document under name by compare-and-set on
// its revision, re-reading and retrying when another writer got there
// first. change sees a zero T and false when the key does not exist.
func mutate[T any](b bucket, name string, change func(v *T, exists bool) (op, error)) error {
	ctx, cancel := b.ctx()
	defer cancel()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		var v T
		rev, exists, err := b.load(ctx, name, &v)
		if err != nil {
			return err
		}
		what, err := change(&v, exists)
		if err != nil || what == keep || (what == drop && !exists) {
			return err
		}
		err = b.write(ctx, name, &v, what, rev, exists)
		if !conflict(err) {
			return err
		}
		// Another node or goroutine changed the key: back off a little
		// and start again from what it wrote.
		time.Sleep(time.Duration(rand.IntN(1+attempt)) * time.Millisecond)
	}
	return fmt.Errorf("%s: %d writers in a row changed it first: %w", name, maxAttempts, ctx.Err())
}

// write puts or deletes name if its revision is still rev.
func (b bucket) write(ctx context.Context, name string, v any, what op, rev uint64, exists bool) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// A write retried after a timeout may have landed the first time; the
	// retry then loses its compare-and-set and mutate starts over from
	// the state that write made.
	return try(ctx, func(ctx context.Context) (err error) {
		switch {
		case what == drop:
			err = b.kv.Delete(ctx, key(name), jetstream.LastRevision(rev))
		case exists:
			_, err = b.kv.Update(ctx, key(name), data, rev)
		default:
			_, err = b.kv.Create(ctx, key(name), data)
		}
		return err
	})
}

// attemptTimeout bounds one request to JetStream within an operation.
const attemptTimeout = 3 * time.Second

// try runs f, again while it fails for want of an answer (a stream
// electing a new leader after a server died, a reconnecting client) and
// ctx lasts.
func try(ctx context.Context, f func(context.Context) error) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := f(attempt)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// transient reports whether err says that no one answered (yet), rather
// than what the answer was.
func transient(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || (errors.As(err, &apiErr) && apiErr.Code == 503)
}

// conflict reports whether err is a lost compare-and-set.
func conflict(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// all returns every document of the bucket, as of the last write the
// stream's leader knows: the listing's consumer may sit on a replica that
// is behind, so it reads on until it has seen that write.
func all[T any](b bucket) ([]*T, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	var out []*T
	err := try(ctx, func(ctx context.Context) (err error) {
		out, err = allOnce[T](ctx, b)
		return err
	})
	return out, err
}

func allOnce[T any](ctx context.Context, b bucket) ([]*T, error) {
	st, err := b.kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	last := st.(*jetstream.KeyValueBucketStatus).StreamInfo().State.LastSeq
	if last == 0 {
		return nil, nil
	}
	w, err := b.kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer w.Stop()
	latest := map[string]jetstream.KeyValueEntry{}
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				continue // the consumer's idea of "up to date"; not trusted
			}
			latest[e.Key()] = e
			if e.Revision() >= last {
				return decodeAll[T](latest)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("list: %w", ctx.Err())
		}
	}
}

// decodeAll decodes the entries that are values (not deletes).
func decodeAll[T any](entries map[string]jetstream.KeyValueEntry) ([]*T, error) {
	var out []*T
	for k, e := range entries {
		if e.Operation() != jetstream.KeyValuePut {
			continue
		}
		var v T
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", k, err)
		}
		out = append(out, &v)
	}
	return out, nil
}

// OpenWhenReady is Open, retried until ctx ends while JetStream is not yet
// available (a cluster still electing its leader).
func OpenWhenReady(ctx context.Context, js jetstream.JetStream, opts Options) (*Store, error) {
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := Open(attempt, js, opts)
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}
