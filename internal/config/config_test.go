package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(Config) bool
		wantErr string
	}{
		{name: "defaults", check: func(c Config) bool {
			return c.Listen == "127.0.0.1:9911" && c.DataDir == "./hearth-data" && c.Region == "us-east-1" &&
				c.AccountID == "000000000000" && c.IdleTimeout == 10*time.Minute
		}},
		{name: "env twins", env: map[string]string{"HEARTH_LISTEN": "127.0.0.1:1", "HEARTH_DATA_DIR": "/d", "HEARTH_IDLE_TIMEOUT": "5s"},
			check: func(c Config) bool {
				return c.Listen == "127.0.0.1:1" && c.DataDir == "/d" && c.IdleTimeout == 5*time.Second
			}},
		{name: "flag beats env", env: map[string]string{"HEARTH_LISTEN": "127.0.0.1:1"}, args: []string{"--listen", "127.0.0.1:2"},
			check: func(c Config) bool { return c.Listen == "127.0.0.1:2" }},
		{name: "bad account", args: []string{"--account-id", "12"}, wantErr: "twelve digits"},
		{name: "half credentials", env: map[string]string{"HEARTH_ACCESS_KEY_ID": "AK"}, wantErr: "both"},
		{name: "bad duration env", env: map[string]string{"HEARTH_IDLE_TIMEOUT": "soon"}, wantErr: "HEARTH_IDLE_TIMEOUT"},
		{name: "bad listen", args: []string{"--listen", "nope"}, wantErr: "listen address"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected"},
		{name: "prestart auto by default", check: func(c Config) bool { return c.Prestart == PrestartAuto }},
		{name: "prestart number", env: map[string]string{"HEARTH_PRESTART": "auto"}, args: []string{"--prestart", "16"},
			check: func(c Config) bool { return c.Prestart == 16 }},
		{name: "prestart none", env: map[string]string{"HEARTH_PRESTART": "0"}, check: func(c Config) bool { return c.Prestart == 0 }},
		{name: "prestart auto flag", args: []string{"--prestart", "auto"}, check: func(c Config) bool { return c.Prestart == PrestartAuto }},
		{name: "bad prestart", args: []string{"--prestart", "-3"}, wantErr: "want auto or a number"},
		{name: "bad prestart env", env: map[string]string{"HEARTH_PRESTART": "lots"}, wantErr: "HEARTH_PRESTART"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			c, err := Load(getenv, tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}
