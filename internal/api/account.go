package api

import (
	"crypto/hmac"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/hearth-run/hearth/internal/function"
)

func (s *Server) accountSettings(w http.ResponseWriter, r *http.Request, _ []byte) error {
	var total int64
	count := 0
	marker := ""
	for {
		fns, next, err := s.opts.Store.ListFunctions(marker, 1000)
		if err != nil {
			return err
		}
		for _, fn := range fns {
			total += fn.Latest.CodeSize
			count++
		}
		if next == "" {
			break
		}
		marker = next
	}
	layers, err := s.layerCodeSize()
	if err != nil {
		return err
	}
	total += layers
	writeJSON(w, http.StatusOK, map[string]any{
		"AccountLimit": map[string]int64{
			"TotalCodeSize":                  80530636800,
			"CodeSizeUnzipped":               262144000,
			"CodeSizeZipped":                 52428800,
			"ConcurrentExecutions":           int64(s.opts.ConcurrencyLimit),
			"UnreservedConcurrentExecutions": int64(s.unreserved()),
		},
		"AccountUsage": map[string]int64{"TotalCodeSize": total, "FunctionCount": int64(count)},
	})
	return nil
}

// codeURLTTL is how long a GetFunction Code.Location stays valid, like the
// presigned URL Lambda hands out.
const codeURLTTL = 10 * time.Minute

// codeURL returns a URL from which the function's zip can be downloaded
// without credentials for codeURLTTL, signed with the server's URL key.
func (s *Server) codeURL(r *http.Request, c *function.Config) string {
	exp := strconv.FormatInt(time.Now().Add(codeURLTTL).Unix(), 10)
	sig := hex.EncodeToString(s.sign(c.CodeSHA256 + "|" + exp))
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/hearth/code/" + c.CodeSHA256 + "?expires=" + exp + "&signature=" + sig
}

func (s *Server) downloadCode(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	exp := r.URL.Query().Get("expires")
	sig, _ := hex.DecodeString(r.URL.Query().Get("signature"))
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || time.Now().Unix() > n || !hmac.Equal(sig, s.sign(sha+"|"+exp)) {
		http.Error(w, "AccessDenied: the link is invalid or has expired", http.StatusForbidden)
		return
	}
	p, err := s.opts.Code.ZipPath(sha)
	if err != nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, sha+".zip", time.Time{}, f)
}
