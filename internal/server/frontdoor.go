package server

import (
	"context"
	"fmt"
	"net"

	"github.com/hearth-run/hearth/internal/api"
	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/logs"
)

// urlPort is the port in the function URLs Hearth hands out: the API's.
func urlPort(cfg config.Config) string {
	_, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return ""
	}
	return port
}

// listenURLs opens --url-listen, when set: a listener that serves function
// URLs only.
func (s *Server) listenURLs(cfg config.Config, handler *api.Server) error {
	if cfg.URLListen == "" {
		return nil
	}
	l, err := net.Listen("tcp", cfg.URLListen)
	if err != nil {
		return fmt.Errorf("url listen: %w", err)
	}
	s.urlListener = newLimitListener(l, cfg.HTTP.MaxConnsPerClient)
	s.urlHTTP = apiHTTPServer(handler.URLHandler(), cfg.HTTP)
	return nil
}

// runLogRetention removes expired log events until ctx ends.
func (s *Server) runLogRetention(ctx context.Context) {
	s.logStore.RunRetention(ctx, logs.DefaultExpireInterval, func(err error) {
		s.log.Warn("log retention pass failed", "err", err)
	})
}
