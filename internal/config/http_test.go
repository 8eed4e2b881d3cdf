package config

import (
	"io"
	"testing"
	"time"
)

func TestHTTPLimitFlags(t *testing.T) {
	env := map[string]string{"HEARTH_HTTP_MAX_CONNS_PER_CLIENT": "9", "HEARTH_HTTP_READ_TIMEOUT": "7s"}
	c, err := Load(func(k string) string { return env[k] }, []string{
		"--http-idle-timeout", "3s", "--http-max-header-bytes", "8192", "--http-max-conns-per-client", "5",
		"--http-max-headers", "64",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultHTTPLimits()
	want.IdleTimeout, want.MaxHeaderBytes, want.MaxConnsPerClient, want.ReadTimeout = 3*time.Second, 8192, 5, 7*time.Second
	want.MaxHeaders = 64
	if c.HTTP != want {
		t.Fatalf("limits %+v, want %+v", c.HTTP, want)
	}
	if _, err := Load(func(string) string { return "" }, []string{"--http-max-conns-per-client", "0"}, io.Discard); err == nil {
		t.Fatal("zero connections per client accepted")
	}
	if _, err := Load(func(string) string { return "" }, []string{"--http-max-headers", "0"}, io.Discard); err == nil {
		t.Fatal("zero header fields accepted")
	}
}
