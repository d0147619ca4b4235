package source

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// Defaults of the log input types.
const DefaultKafkaGroup = "seismo"

// IsLogType reports whether t is a log input type (file, stdin, kafka)
// rather than a time-series source.
func IsLogType(t string) bool { return t == TypeFile || t == TypeStdin || t == TypeKafka }

// logPaths returns a file input's globs: path, then paths.
func (c Config) logPaths() []string {
	var out []string
	if c.Path != "" {
		out = append(out, c.Path)
	}
	return append(out, c.Paths...)
}

func (c *Config) applyLogDefaults() {
	if c.Type == TypeFile && c.PollInterval == 0 {
		c.PollInterval = field.Duration(DefaultPollInterval)
	}
	if (c.Type == TypeFile || c.Type == TypeKafka) && c.StartAt == "" {
		c.StartAt = StartAtEnd
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.Type == TypeKafka && c.Group == "" {
		c.Group = DefaultKafkaGroup
	}
}

func (c Config) validateLog(errs *field.List) {
	if c.MaxLineBytes < 0 || (c.MaxLineBytes > 0 && c.MaxLineBytes < 16) {
		errs.Addf("max_line_bytes", "must be at least 16")
	}
	if c.StartAt != "" && c.StartAt != StartAtEnd && c.StartAt != StartAtBeginning {
		errs.Addf("start_at", "must be %s or %s, not %q", StartAtEnd, StartAtBeginning, c.StartAt)
	}
	switch c.Type {
	case TypeFile:
		if c.Path == "" && len(c.Paths) == 0 {
			errs.Addf("path", "required (a file or a glob such as /var/log/app/*.log; more in paths)")
		}
		checkGlob := func(p, g string) {
			if _, err := filepath.Match(g, ""); err != nil {
				errs.Addf(p, "invalid glob %q: %v", g, err)
			}
		}
		if c.Path != "" {
			checkGlob("path", c.Path)
		}
		for i, g := range c.Paths {
			if g == "" {
				errs.Addf(fmt.Sprintf("paths[%d]", i), "empty path")
			}
			checkGlob(fmt.Sprintf("paths[%d]", i), g)
		}
		if c.PollInterval < 0 {
			errs.Addf("poll_interval", "must be positive")
		}
	case TypeKafka:
		if len(c.Brokers) == 0 {
			errs.Addf("brokers", "required (host:port of at least one broker)")
		}
		for i, b := range c.Brokers {
			if _, port, err := net.SplitHostPort(b); err != nil {
				errs.Addf(fmt.Sprintf("brokers[%d]", i), "invalid broker %q: want host:port", b)
			} else if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
				errs.Addf(fmt.Sprintf("brokers[%d]", i), "invalid port in broker %q", b)
			}
		}
		if len(c.Topics) == 0 {
			errs.Addf("topics", "required")
		}
		for i, t := range c.Topics {
			if t == "" {
				errs.Addf(fmt.Sprintf("topics[%d]", i), "empty topic name")
			}
		}
	}
}

// OpenLog opens the log input that cfg describes, for one log stream.
// Defaults are applied and everything is validated; nothing is read until
// Run. A nil logger discards logs.
func OpenLog(name string, cfg Config, opts LogOptions) (LogInput, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open log input %q: %w", name, err)
	}
	var stats logCounters
	p, err := newPipeline(opts.Format, opts.Multiline, opts.Now, &stats)
	if err != nil {
		return nil, fmt.Errorf("open log input %q: %w", name, err)
	}
	switch cfg.Type {
	case TypeFile:
		return newFileInput(name, cfg, opts, p), nil
	case TypeStdin:
		return newReaderInput(name, "stdin", opts.Stdin, cfg.MaxLineBytes, opts, p), nil
	case TypeKafka:
		in, err := newKafkaInput(name, cfg, opts, p)
		if err != nil {
			return nil, fmt.Errorf("open log input %q: %w", name, err)
		}
		return in, nil
	}
	return nil, fmt.Errorf("open log input %q: %q is not a log input type (file, stdin, kafka)", name, cfg.Type)
}
