package logs

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 3, 12_345_678, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"start", AppendStart(nil, "8476a536-e9f4-11e8-9739-2dfe598c3fcd", "$LATEST"),
			"START RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd Version: $LATEST\n"},
		{"start published version", AppendStart(nil, "r", "7"), "START RequestId: r Version: 7\n"},
		{"end", AppendEnd(nil, "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
			"END RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\n"},
		{"warm report", AppendReport(nil, Report{RequestID: "abc", Duration: 12340 * time.Microsecond,
			MemorySizeMB: 128, MaxMemoryUsedMB: 35}),
			"REPORT RequestId: abc\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 35 MB\t\n"},
		{"cold report", AppendReport(nil, Report{RequestID: "abc", Duration: 12340 * time.Microsecond,
			MemorySizeMB: 128, MaxMemoryUsedMB: 35, InitDuration: 120450 * time.Microsecond}),
			"REPORT RequestId: abc\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 35 MB\tInit Duration: 120.45 ms\t\n"},
		{"cold report of a custom runtime bills Init", AppendReport(nil, Report{RequestID: "abc", Duration: 12340 * time.Microsecond,
			MemorySizeMB: 128, MaxMemoryUsedMB: 35, InitDuration: 120450 * time.Microsecond, BillInit: true}),
			"REPORT RequestId: abc\tDuration: 12.34 ms\tBilled Duration: 133 ms\tMemory Size: 128 MB\tMax Memory Used: 35 MB\tInit Duration: 120.45 ms\t\n"},
		{"timeout report", AppendReport(nil, Report{RequestID: "abc", Duration: 3 * time.Second,
			MemorySizeMB: 128, MaxMemoryUsedMB: 35, Status: "timeout"}),
			"REPORT RequestId: abc\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 35 MB\tStatus: timeout\n"},
		{"error report", AppendReport(nil, Report{RequestID: "abc", Duration: 8948730 * time.Microsecond,
			MemorySizeMB: 2048, MaxMemoryUsedMB: 2048, InitDuration: 495040 * time.Microsecond,
			Status: "error", ErrorType: "Runtime.OutOfMemory"}),
			"REPORT RequestId: abc\tDuration: 8948.73 ms\tBilled Duration: 8949 ms\tMemory Size: 2048 MB\tMax Memory Used: 2048 MB\tInit Duration: 495.04 ms\tStatus: error\tError Type: Runtime.OutOfMemory\n"},
		{"error type without status is ignored", AppendReport(nil, Report{RequestID: "a", Duration: time.Millisecond,
			MemorySizeMB: 128, MaxMemoryUsedMB: 1, ErrorType: "Runtime.ExitError"}),
			"REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\t\n"},
		{"timeout line", AppendTimeout(nil, at, "595dc20a", 3*time.Second),
			"2026-11-25T09:00:03.012Z 595dc20a Task timed out after 3.00 seconds\n"},
		{"timeout line elapsed", AppendTimeout(nil, at, "r", 60060*time.Millisecond),
			"2026-11-25T09:00:03.012Z r Task timed out after 60.06 seconds\n"},
		{"appends", AppendEnd([]byte("x"), "r"), "xEND RequestId: r\n"},
		{"init report", AppendInitReport(nil, InitReport{Duration: 45670 * time.Microsecond, Phase: "init",
			Status: "error", ErrorType: "Runtime.ExitError"}),
			"INIT_REPORT Init Duration: 45.67 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n"},
		{"init report timeout", AppendInitReport(nil, InitReport{Duration: 10 * time.Second, Phase: "invoke", Status: "timeout"}),
			"INIT_REPORT Init Duration: 10000.00 ms\tPhase: invoke\tStatus: timeout\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.got) != tt.want {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}

func TestBilledDuration(t *testing.T) {
	tests := []struct {
		in, want time.Duration
	}{
		{0, time.Millisecond},
		{time.Nanosecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{time.Millisecond + time.Nanosecond, 2 * time.Millisecond},
		{12340 * time.Microsecond, 13 * time.Millisecond},
		{3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		if got := BilledDuration(tt.in); got != tt.want {
			t.Errorf("BilledDuration(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
