package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/logs"
)

// Logs reads the stored log streams of functions (Hearth's own API).
type Logs interface {
	Streams(function string) ([]logs.StreamInfo, error)
	Read(function, stream string, w io.Writer) error
}

var _ Logs = (*logs.Store)(nil)

// streamInfo is one entry of GET /hearth/logs/{name}.
type streamInfo struct {
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	LastWrite string `json:"lastWrite"` // RFC 3339 with milliseconds
}

// readLogs is Hearth's own view of a function's logs, for `hearth logs`:
// GET /hearth/logs/{name} lists the streams, newest write first;
// GET /hearth/logs/{name}?stream=NAME[&offset=N] returns one stream's text
// from byte N on, so that a follower fetches only what is new.
func (s *Server) readLogs(w http.ResponseWriter, r *http.Request, _ []byte) error {
	if s.opts.Logs == nil {
		return errorf(http.StatusNotFound, typeNotFound, "log reading is not enabled")
	}
	ref, err := function.ParseRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	ref.Qualifier = "" // logs belong to the function, whatever the version
	if _, err := s.opts.Store.Function(ref.Name); err != nil {
		return s.notFound(ref)
	}
	q := r.URL.Query()
	stream := q.Get("stream")
	if stream == "" {
		infos, err := s.opts.Logs.Streams(ref.Name)
		if err != nil {
			return err
		}
		out := make([]streamInfo, 0, len(infos))
		for _, in := range infos {
			out = append(out, streamInfo{Name: in.Name, Size: in.Size, LastWrite: in.LastWrite.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
		}
		writeJSON(w, http.StatusOK, map[string]any{"Streams": out})
		return nil
	}
	var offset int64
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.ParseInt(v, 10, 64); err != nil || offset < 0 {
			return errorf(http.StatusBadRequest, typeInvalidParam, "offset must be a non-negative integer")
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// The stream is copied as it is read. Read fails before writing when
	// the stream does not exist, so that case still gets a proper error.
	sw := &skipWriter{w: w, skip: offset}
	if err := s.opts.Logs.Read(ref.Name, stream, sw); err != nil {
		if sw.wrote {
			s.log.WarnContext(r.Context(), "log stream read failed midway", "function", ref.Name, "stream", stream, "err", err)
			return nil
		}
		if errors.Is(err, logs.ErrNotFound) || errors.Is(err, logs.ErrInvalidName) {
			return errorf(http.StatusNotFound, typeNotFound, "Log stream not found: "+stream)
		}
		return err
	}
	if !sw.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// skipWriter passes on to w what is written to it after the first skip
// bytes.
type skipWriter struct {
	w     io.Writer
	skip  int64
	wrote bool // whether anything reached w
}

func (sw *skipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if sw.skip >= int64(n) {
		sw.skip -= int64(n)
		return n, nil
	}
	p, sw.skip = p[sw.skip:], 0
	sw.wrote = true
	if _, err := sw.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}
