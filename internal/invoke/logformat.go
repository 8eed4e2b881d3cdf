package invoke

import (
	"github.com/hearth-run/hearth/internal/function"
	"github.com/hearth-run/hearth/internal/logs"
)

// logFormat is how a function's log stream writes its platform lines:
// JSON objects filtered by the system log level when its LoggingConfig
// has LogFormat JSON, else text.
func logFormat(s *function.Settings) logs.Format {
	json, level := s.SystemLogFormat()
	return logs.Format{JSON: json, SystemLogLevel: level}
}
