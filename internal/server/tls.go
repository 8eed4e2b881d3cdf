package server

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/hearth-run/hearth/internal/config"
)

// withTLS wraps the API listener in TLS when the configuration names a
// certificate and key; the key pair is loaded here, so that a bad file
// stops the start rather than the first handshake.
func withTLS(cfg config.Config, ln net.Listener) (net.Listener, error) {
	if cfg.TLSCert == "" {
		return ln, nil
	}
	pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return ln, fmt.Errorf("tls certificate %s and key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
	}
	// HTTP/1.1 only, as on the plain listener: the SDKs speak it, and
	// streamed responses behave the same over both.
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}}), nil
}

// scheme is the URL scheme of the API listener.
func (s *Server) scheme() string {
	if s.Config.TLSCert != "" {
		return "https"
	}
	return "http"
}
