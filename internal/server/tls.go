package server

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/hearth-run/hearth/internal/config"
)

// listen opens the API listener: plain TCP, or TLS when the configuration
// names a certificate and key. The key pair is loaded here, so that a bad
// file stops the start rather than the first handshake.
func listen(cfg config.Config) (net.Listener, error) {
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("tls certificate %s and key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		// HTTP/1.1 only, as on the plain listener: the SDKs speak it, and
		// streamed responses behave the same over both.
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	return ln, nil
}

// scheme is the URL scheme of the API listener.
func (s *Server) scheme() string {
	if s.Config.TLSCert != "" {
		return "https"
	}
	return "http"
}
