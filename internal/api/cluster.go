package api

import (
	"context"
	"net/http"
)

// ClusterStatus reports a cluster node's view of the cluster (Hearth's
// own API, for `hearth cluster status`).
type ClusterStatus interface {
	ClusterStatus(ctx context.Context) any
}

// clusterStatus serves GET /hearth/cluster.
func (s *Server) clusterStatus(w http.ResponseWriter, r *http.Request, _ []byte) error {
	if s.opts.Cluster == nil {
		return errorf(http.StatusNotFound, typeNotFound, "this Hearth is not a node of a cluster")
	}
	writeJSON(w, http.StatusOK, s.opts.Cluster.ClusterStatus(r.Context()))
	return nil
}
