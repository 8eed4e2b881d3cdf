package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hearth-run/hearth/internal/config"
	"github.com/hearth-run/hearth/internal/server"
)

// inProcess runs Hearth inside the benchmark binary with one warm
// aws-lambda-go hello function called "hello", so that `go test -bench`
// profiles the whole warm path: routing, SigV4, environment thaw and
// freeze, the Runtime API and the log writing. Isolation is off: the
// isolated sandbox re-executes the hearth binary as its init, which a test
// binary is not; `go run ./bench` measures the isolated path.
func inProcess(b *testing.B) (addr string, lc *lambda.Client, client *http.Client) {
	b.Helper()
	tb, err := newToolbox()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tb.Close)
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", b.TempDir()
	cfg.AccessKeyID, cfg.SecretAccessKey = benchKeyID, benchSecret
	cfg.LogLevel, cfg.Isolation = "warn", "off"
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }() // owned by the cleanup below
	b.Cleanup(func() { cancel(); <-served })
	client = &http.Client{Timeout: time.Minute, Transport: newTransport()}
	lc = lambda.New(lambda.Options{
		Region: benchRegion, BaseEndpoint: aws.String("http://" + srv.Addr()),
		Credentials: credentials.NewStaticCredentialsProvider(benchKeyID, benchSecret, ""),
		HTTPClient:  client, RetryMaxAttempts: 1,
	})
	zip, err := tb.zip(runtimeSpecs[0])
	if err != nil {
		b.Fatal(err)
	}
	if err := createFunction(context.Background(), lc, "hello", runtimeSpecs[0], zip); err != nil {
		b.Fatal(err)
	}
	if c := invoke(context.Background(), lc, "hello", "", []byte(`{}`), false); c.Err != nil {
		b.Fatal(c.Err)
	}
	return srv.Addr(), lc, client
}

// BenchmarkWarmInvokeSigned is one warm invocation with a bare
// SigV4-signed request: Hearth's warm path plus the signing.
func BenchmarkWarmInvokeSigned(b *testing.B) {
	addr, _, client := inProcess(b)
	do := signedInvoke(client, addr, "hello")
	b.ResetTimer()
	for b.Loop() {
		if err := do(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWarmInvokeSDK is one warm invocation through aws-sdk-go-v2.
func BenchmarkWarmInvokeSDK(b *testing.B) {
	_, lc, _ := inProcess(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if c := invoke(ctx, lc, "hello", "", []byte(`{}`), false); c.Err != nil {
			b.Fatal(c.Err)
		}
	}
}

// BenchmarkWarmInvokeParallel is warm invocations from GOMAXPROCS
// clients at once, each keeping its environment busy.
func BenchmarkWarmInvokeParallel(b *testing.B) {
	addr, _, client := inProcess(b)
	do := signedInvoke(client, addr, "hello")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := do(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkWarmInvokeRaw is one warm invocation whose client costs next to
// nothing: the request is signed with SigV4 once a minute and written as
// bytes to a kept connection, the answer read without net/http. Its
// allocations per call are Hearth's own (the issue's ≤ 40 and ≤ 6 KB).
func BenchmarkWarmInvokeRaw(b *testing.B) {
	addr, _, _ := inProcess(b)
	rc, err := dialRaw(addr, "hello")
	if err != nil {
		b.Fatal(err)
	}
	defer rc.close()
	b.ResetTimer()
	for b.Loop() {
		if err := rc.invoke(); err != nil {
			b.Fatal(err)
		}
	}
}
