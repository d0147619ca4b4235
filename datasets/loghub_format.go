package datasets

import "github.com/seismo-dev/seismo/source/logformat"

// The line format of the Loghub datasets lives in source/logformat, where
// the log inputs use it too; these names keep the loaders and the
// benchmark reading as they did.

// LogFormat splits a log line into its header fields and its message; see
// logformat.Format.
type LogFormat = logformat.Format

// LogRecord is one line split by a LogFormat; see logformat.Record.
type LogRecord = logformat.Record

// ParseLogFormat compiles a Loghub-style <Name> format; see logformat.Parse.
func ParseLogFormat(format string) (*LogFormat, error) { return logformat.Parse(format) }

// NewLogFormatRegexp builds a LogFormat from a regular expression with
// named groups; see logformat.NewRegexp.
func NewLogFormatRegexp(expr string) (*LogFormat, error) { return logformat.NewRegexp(expr) }
