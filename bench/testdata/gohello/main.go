// Command gohello is the benchmark's aws-lambda-go function: it answers at
// once (or after sleepMs) with the log stream of its environment, so the
// benchmark can tell environments apart, and with the time its process
// initialised. With "mark" set it also prints a BENCH line with its start and
// end times, which the benchmark reads back from the log stream for
// asynchronous invocations.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	SleepMs int  `json:"sleepMs"`
	Mark    bool `json:"mark"`
}

type answer struct {
	Stream   string `json:"stream"`
	InitType string `json:"initType"`
	InitAt   int64  `json:"initAt"`
}

var (
	initAt = time.Now().UnixNano()
	stream = os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")
	kind   = os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE")
)

func handle(_ context.Context, ev event) (answer, error) {
	start := time.Now().UnixNano()
	if ev.SleepMs > 0 {
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	}
	if ev.Mark {
		fmt.Printf("BENCH %d %d %d\n", start, time.Now().UnixNano(), initAt)
	}
	return answer{Stream: stream, InitType: kind, InitAt: initAt}, nil
}

func main() { lambda.Start(handle) }
