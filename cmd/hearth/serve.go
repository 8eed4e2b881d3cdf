package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/server"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(getenv, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "hearth serve: %v\n", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		fmt.Fprintf(stderr, "hearth serve: log level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv, err := server.New(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "hearth serve: %v\n", err)
		return 1
	}
	if cfg.AccessKeyID == "" {
		what := "Credentials"
		if srv.GeneratedCredentials {
			what = "Generated credentials"
		}
		fmt.Fprintf(stdout, "%s (kept in %s):\nexport AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s\n",
			what, cfg.DataDir, srv.Credentials.AccessKeyID, srv.Credentials.SecretAccessKey, cfg.Region)
	}
	if err := srv.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "hearth serve: %v\n", err)
		return 1
	}
	return 0
}
