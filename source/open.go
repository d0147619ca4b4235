package source

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/seismo-dev/seismo/config/field"
)

// Open returns the source that cfg describes. It applies defaults and
// validates cfg (callers that already did so pay nothing but the check),
// resolves secrets that are not resolved yet, and connects lazily: a
// database or server that is down now fails the first query, not Open.
// A nil logger discards logs.
func Open(name string, cfg Config, logger *slog.Logger) (TimeSeries, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open source %q: %w", name, err)
	}
	for _, sec := range []struct {
		path string
		s    *field.Secret
	}{{"dsn", &cfg.DSN}, {"bearer_token", &cfg.BearerToken}} {
		if sec.s.IsZero() || sec.s.Value() != "" {
			continue
		}
		if err := sec.s.Resolve(""); err != nil {
			return nil, fmt.Errorf("open source %q: %w", name, field.Errorf(sec.path, "%v", err))
		}
	}
	var (
		ts  TimeSeries
		err error
	)
	switch {
	case cfg.Type == TypeCSV:
		ts, err = newCSVSource(name, cfg, logger)
	case isSQL(cfg.Type):
		ts, err = newSQLSource(name, cfg, logger)
	case cfg.Type == TypePrometheus:
		ts, err = newPromSource(name, cfg, logger)
	case cfg.Type == TypeDemo:
		err = errors.New("demo sources are wired by the engine (package datasets), not opened here")
	case IsLogType(cfg.Type):
		err = fmt.Errorf("a %s source is a log input: open it with OpenLog", cfg.Type)
	default:
		err = fmt.Errorf("unknown source type %q", cfg.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", name, err)
	}
	return ts, nil
}
