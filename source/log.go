package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/source/logformat"
)

// Record is one log record: a line, or several lines joined by a
// multi-line start pattern, split by the stream's line format.
type Record struct {
	Time    time.Time // the record's own time stamp, else the time it was read
	Level   string    // upper-cased level field ("" if the format has none)
	Message string    // the free text a template miner mines
	Input   string    // where it came from: a file path, "stdin", "topic/partition"
	Offset  int64     // byte offset of its first line in the file, or the Kafka offset
}

// LogBatch is a batch of records an input hands to its sink, with the
// point where the input resumes once they are processed.
type LogBatch struct {
	Records    []Record
	Checkpoint Checkpoint
}

// Checkpoint is where a log input resumes after the records it has handed
// out so far. Callers keep the latest one and give it back to Commit once
// the records it covers are safely processed (counted and stored).
type Checkpoint struct {
	files []FileOffset               // file inputs: the resume point of every file followed
	kafka map[string]map[int32]int64 // kafka: next offset per topic and partition
}

// Files returns the file offsets of a file input's checkpoint.
func (c Checkpoint) Files() []FileOffset { return c.files }

// IsZero reports whether the checkpoint holds nothing to commit.
func (c Checkpoint) IsZero() bool { return c.files == nil && c.kafka == nil }

// LogSink processes a batch. An error stops the input's Run, which returns it.
type LogSink func(ctx context.Context, b LogBatch) error

// LogInput is a source of log records: files followed like tail -F, the
// standard input, or Kafka topics.
type LogInput interface {
	// Run reads records and hands them to sink in batches until ctx is
	// done (it then returns nil) or the input ends (stdin at EOF), or the
	// sink or the input fails. Run owns every goroutine it starts and
	// waits for them before it returns. It must be called at most once.
	Run(ctx context.Context, sink LogSink) error
	// Commit makes cp durable as the point to resume from: a file input
	// saves its offsets in its OffsetStore, a Kafka input commits its
	// consumer group's offsets. Safe to call while Run runs.
	Commit(ctx context.Context, cp Checkpoint) error
	// Stats returns the input's counters.
	Stats() LogStats
	// Close releases what the input holds beyond Run (a Kafka client);
	// call it after Run has returned and the last Commit is done.
	Close() error
}

// LogStats are a log input's counters since it was opened.
type LogStats struct {
	Lines        uint64 `json:"lines"`         // physical lines read
	Records      uint64 `json:"records"`       // records handed out
	TooLong      uint64 `json:"too_long"`      // lines truncated to max_line_bytes
	InvalidUTF8  uint64 `json:"invalid_utf8"`  // lines whose invalid bytes were replaced by U+FFFD
	Binary       uint64 `json:"binary"`        // lines whose control characters were replaced by U+FFFD
	Unparsed     uint64 `json:"unparsed"`      // records the format did not match (the whole text is the message)
	Joined       uint64 `json:"joined"`        // lines appended to the record before them (multi-line)
	DroppedLines uint64 `json:"dropped_lines"` // lines beyond a record's max_lines or max_bytes
	TimedFlushes uint64 `json:"timed_flushes"` // multi-line records flushed because no next line came in time
	Rotations    uint64 `json:"rotations"`     // files replaced under their name (rename rotation)
	Truncations  uint64 `json:"truncations"`   // files that shrank under the reader (copytruncate)
	ReadErrors   uint64 `json:"read_errors"`   // failed reads, retried at the next poll
}

// logCounters are the live counters behind LogStats.
type logCounters struct {
	lines, records, tooLong, invalidUTF8, binary, unparsed, joined, dropped, timed, rotations, truncations, readErrors atomic.Uint64
}

func (c *logCounters) snapshot() LogStats {
	return LogStats{
		Lines: c.lines.Load(), Records: c.records.Load(), TooLong: c.tooLong.Load(),
		InvalidUTF8: c.invalidUTF8.Load(), Binary: c.binary.Load(), Unparsed: c.unparsed.Load(),
		Joined: c.joined.Load(), DroppedLines: c.dropped.Load(), TimedFlushes: c.timed.Load(),
		Rotations: c.rotations.Load(), Truncations: c.truncations.Load(), ReadErrors: c.readErrors.Load(),
	}
}

// Log format types (LogFormatConfig.Type).
const (
	LogFormatRaw     = "raw"     // the whole record is the message (default)
	LogFormatPattern = "pattern" // a Loghub-style <Name> format with a <Content> field
	LogFormatRegexp  = "regexp"  // a regular expression with named groups, one named Content
	LogFormatJSON    = "json"    // one JSON object per line
	LogFormatLogfmt  = "logfmt"  // key=value pairs
)

// LogFormatConfig says how a record's time, level and message are found.
type LogFormatConfig struct {
	Type    string `yaml:"type,omitempty"`    // raw (default), pattern, regexp, json, logfmt
	Pattern string `yaml:"pattern,omitempty"` // pattern: "<Date> <Time> <Level> <Content>"; regexp: the expression
	// json, logfmt: the keys of the fields (default: the usual names,
	// e.g. time/ts/timestamp, level/severity, msg/message).
	TimeKey    string `yaml:"time_key,omitempty"`
	LevelKey   string `yaml:"level_key,omitempty"`
	MessageKey string `yaml:"message_key,omitempty"`
	// TimeFormat reads the time field: a Go layout, unix, unix_ms, or
	// empty to detect RFC 3339, date-times and unix times. A record whose
	// time does not parse gets the time it was read.
	TimeFormat string `yaml:"time_format,omitempty"`
	Timezone   string `yaml:"timezone,omitempty"` // zone of times written without an offset (default UTC)
}

// ParseLogFormatFlag reads the --format flag of `seismo logs mine`: raw,
// json, logfmt, "regexp:EXPR", or else a <Name> pattern.
func ParseLogFormatFlag(s string) LogFormatConfig {
	switch s {
	case "", LogFormatRaw, LogFormatJSON, LogFormatLogfmt:
		return LogFormatConfig{Type: s}
	}
	if expr, ok := strings.CutPrefix(s, "regexp:"); ok {
		return LogFormatConfig{Type: LogFormatRegexp, Pattern: expr}
	}
	return LogFormatConfig{Type: LogFormatPattern, Pattern: s}
}

// ApplyDefaults fills the format type.
func (c *LogFormatConfig) ApplyDefaults() {
	if c.Type == "" {
		c.Type = LogFormatRaw
		if c.Pattern != "" {
			c.Type = LogFormatPattern
		}
	}
}

// Validate checks the format; paths are relative to it.
func (c LogFormatConfig) Validate() error {
	var errs field.List
	if _, err := c.parser(); err != nil {
		p := "pattern"
		if !isLogFormat(c.Type) {
			p = "type"
		}
		errs.Add(p, err)
	}
	if err := validateTimeFormat(c.TimeFormat); err != nil {
		errs.Add("time_format", err)
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			errs.Addf("timezone", "unknown time zone %q", c.Timezone)
		}
	}
	keyed := c.Type == LogFormatJSON || c.Type == LogFormatLogfmt
	for name, v := range map[string]string{"time_key": c.TimeKey, "level_key": c.LevelKey, "message_key": c.MessageKey} {
		if v != "" && !keyed {
			errs.Addf(name, "applies to the json and logfmt formats only")
		}
	}
	return errs.Err()
}

func isLogFormat(t string) bool {
	switch t {
	case "", LogFormatRaw, LogFormatPattern, LogFormatRegexp, LogFormatJSON, LogFormatLogfmt:
		return true
	}
	return false
}

// parser builds the format's parser; nil for raw.
func (c LogFormatConfig) parser() (logformat.Parser, error) {
	switch c.Type {
	case "", LogFormatRaw:
		if c.Pattern != "" && c.Type == LogFormatRaw {
			return nil, errors.New("a raw format has no pattern")
		}
		return nil, nil
	case LogFormatPattern:
		if c.Pattern == "" {
			return nil, errors.New(`required: a format such as "<Date> <Time> <Level> <Content>"`)
		}
		return logformat.Parse(c.Pattern)
	case LogFormatRegexp:
		if c.Pattern == "" {
			return nil, errors.New("required: a regular expression with a (?P<Content>...) group")
		}
		return logformat.NewRegexp(c.Pattern)
	case LogFormatJSON, LogFormatLogfmt:
		if c.Pattern != "" {
			return nil, fmt.Errorf("a %s format has no pattern (use time_key, level_key, message_key)", c.Type)
		}
		if c.Type == LogFormatJSON {
			return logformat.NewJSON(c.TimeKey, c.LevelKey, c.MessageKey), nil
		}
		return logformat.NewLogfmt(c.TimeKey, c.LevelKey, c.MessageKey), nil
	}
	return nil, fmt.Errorf("unknown format type %q (valid: raw, pattern, regexp, json, logfmt)", c.Type)
}

// Defaults of MultilineConfig and of log inputs (lines are cut at
// DefaultMaxLineBytes, as the CSV reader does).
const (
	DefaultMultilineMaxLines = 500
	DefaultMultilineMaxBytes = 1 << 20
	DefaultMultilineTimeout  = 2 * time.Second
	DefaultPollInterval      = time.Second
	// logBatchSize bounds the records an input holds before it hands
	// them to its sink, and so the memory a burst of lines can take.
	logBatchSize = 1024
)

// MultilineConfig joins the lines of one record (a stack trace under the
// line that logged it): a line matching Start begins a new record, any
// other line is appended to the record before it.
type MultilineConfig struct {
	Start    string         `yaml:"start,omitempty"`     // regular expression, e.g. ^\d{4}-; empty: every line is a record
	MaxLines int            `yaml:"max_lines,omitempty"` // lines past this are dropped and counted (default 500)
	MaxBytes int            `yaml:"max_bytes,omitempty"` // bytes past this are dropped and counted (default 1 MiB)
	Timeout  field.Duration `yaml:"timeout,omitempty"`   // a record waits this long for more lines before it is handed out (default 2s)
}

// ApplyDefaults fills the limits when a start pattern is set.
func (c *MultilineConfig) ApplyDefaults() {
	if c.Start == "" {
		return
	}
	if c.MaxLines == 0 {
		c.MaxLines = DefaultMultilineMaxLines
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMultilineMaxBytes
	}
	if c.Timeout == 0 {
		c.Timeout = field.Duration(DefaultMultilineTimeout)
	}
}

// Validate checks the pattern and the limits.
func (c MultilineConfig) Validate() error {
	var errs field.List
	if c.Start == "" {
		if c.MaxLines != 0 || c.MaxBytes != 0 || c.Timeout != 0 {
			errs.Addf("start", "required when max_lines, max_bytes or timeout is set")
		}
		return errs.Err()
	}
	if _, err := regexp.Compile(c.Start); err != nil {
		errs.Addf("start", "invalid regular expression: %v", err)
	}
	if c.MaxLines < 1 {
		errs.Addf("max_lines", "must be at least 1")
	}
	if c.MaxBytes < 1 {
		errs.Addf("max_bytes", "must be at least 1")
	}
	if c.Timeout <= 0 {
		errs.Addf("timeout", "must be positive")
	}
	return errs.Err()
}

// LogOptions are what a log input needs besides its source's Config: the
// stream's line format and multi-line rule, and its collaborators.
type LogOptions struct {
	Format    LogFormatConfig
	Multiline MultilineConfig
	// Offsets keeps a file input's offsets across restarts; nil keeps none.
	Offsets OffsetStore
	// Stdin is the reader of a stdin input (nil: os.Stdin).
	Stdin  io.Reader
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
}

// OffsetStore persists where a file input has read each file up to.
type OffsetStore interface {
	LoadOffsets(ctx context.Context) ([]FileOffset, error)
	// SaveOffsets replaces the stored offsets with offs.
	SaveOffsets(ctx context.Context, offs []FileOffset) error
}

// FileOffset is where reading resumes in one file. The file is known by
// its device and inode, so that a rotated file is not mistaken for its
// successor under the same name.
type FileOffset struct {
	Path   string `json:"path"`
	Device uint64 `json:"device"`
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
}

// pipeline turns lines into records: sanitising, multi-line joining and
// the line format. One pipeline serves an input; each file (or reader,
// or partition) has its own assembler.
type pipeline struct {
	parser   logformat.Parser // nil: raw
	times    *timeParser
	start    *regexp.Regexp // nil: one line per record
	maxLines int
	maxBytes int
	timeout  time.Duration
	now      func() time.Time
	stats    *logCounters
}

func newPipeline(f LogFormatConfig, m MultilineConfig, now func() time.Time, stats *logCounters) (*pipeline, error) {
	f.ApplyDefaults()
	m.ApplyDefaults()
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("multiline: %w", err)
	}
	parser, _ := f.parser()
	loc := time.UTC
	if f.Timezone != "" {
		loc, _ = time.LoadLocation(f.Timezone) // validated
	}
	p := &pipeline{parser: parser, times: newTimeParser(f.TimeFormat, loc), now: now, stats: stats,
		maxLines: m.MaxLines, maxBytes: m.MaxBytes, timeout: m.Timeout.Std()}
	if m.Start != "" {
		p.start = regexp.MustCompile(m.Start) // validated
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// record splits a record's text with the format.
func (p *pipeline) record(input, text string, offset int64, read time.Time) Record {
	r := Record{Time: read, Message: text, Input: input, Offset: offset}
	if p.parser == nil {
		return r
	}
	f, ok := p.parser.Parse(text)
	if !ok {
		p.stats.unparsed.Add(1)
		return r
	}
	r.Message = f.Content
	r.Level = strings.ToUpper(strings.TrimSpace(f.Level))
	if f.Time != "" {
		// The time parser remembers its last layout; records of one input
		// are assembled by one goroutine at a time.
		if t, err := p.times.parse(f.Time); err == nil {
			r.Time = t
		}
	}
	return r
}

// sanitize returns line as valid UTF-8 without control characters other
// than tab, counting what it replaced. Lines that need nothing are
// converted without scanning twice.
func (p *pipeline) sanitize(line []byte) string {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	clean, ascii := true, true
	for _, b := range line {
		if b >= 0x80 {
			ascii = false
		} else if (b < 0x20 && b != '\t') || b == 0x7f {
			clean = false
		}
	}
	valid := ascii || utf8.Valid(line)
	if clean && valid {
		return string(line)
	}
	if !valid {
		p.stats.invalidUTF8.Add(1)
	}
	if !clean {
		p.stats.binary.Add(1)
	}
	var b strings.Builder
	b.Grow(len(line))
	for len(line) > 0 {
		r, size := utf8.DecodeRune(line)
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case (r < 0x20 && r != '\t') || r == 0x7f:
			b.WriteRune(utf8.RuneError)
		default:
			b.Write(line[:size])
		}
		line = line[size:]
	}
	return b.String()
}

// assembler builds the records of one file, reader or partition.
type assembler struct {
	p     *pipeline
	input string
	out   *[]Record // where finished records go

	pending bool
	buf     strings.Builder
	lines   int
	offset  int64     // of the pending record's first line
	since   time.Time // when its first line was read
}

// line takes one complete line read at offset.
func (a *assembler) line(raw []byte, offset int64) {
	a.p.stats.lines.Add(1)
	text := a.p.sanitize(raw)
	if a.p.start == nil {
		a.emit(text, offset, a.p.now())
		return
	}
	if a.pending && !a.p.start.MatchString(text) {
		if a.lines >= a.p.maxLines || a.buf.Len()+1+len(text) > a.p.maxBytes {
			a.p.stats.dropped.Add(1)
			return
		}
		a.buf.WriteByte('\n')
		a.buf.WriteString(text)
		a.lines++
		a.p.stats.joined.Add(1)
		return
	}
	a.flush()
	a.pending, a.offset, a.since, a.lines = true, offset, a.p.now(), 1
	if len(text) > a.p.maxBytes {
		text = truncateUTF8(text, a.p.maxBytes)
		a.p.stats.tooLong.Add(1)
	}
	a.buf.WriteString(text)
}

// flush hands out the pending multi-line record, if any.
func (a *assembler) flush() {
	if !a.pending {
		return
	}
	a.emit(a.buf.String(), a.offset, a.since)
	a.buf.Reset()
	a.pending = false
}

// flushDue hands out the pending record if it has waited its timeout.
func (a *assembler) flushDue(now time.Time) {
	if a.pending && now.Sub(a.since) >= a.p.timeout {
		a.p.stats.timed.Add(1)
		a.flush()
	}
}

func (a *assembler) emit(text string, offset int64, read time.Time) {
	*a.out = append(*a.out, a.p.record(a.input, text, offset, read))
	a.p.stats.records.Add(1)
}

// resume is where reading must restart so that no record is lost: the
// pending record's first line, or pos when nothing is pending.
func (a *assembler) resume(pos int64) int64 {
	if a.pending {
		return a.offset
	}
	return pos
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// splitter cuts a byte stream into lines, truncating lines longer than
// max (the rest of such a line is skipped, not held in memory).
type splitter struct {
	max        int
	partial    []byte
	start      int64 // offset of the current line's first byte
	pos        int64 // offset after the bytes fed so far
	discarding bool  // the current line is past max: skip to its end
}

// feed splits chunk, calling line for every line it completes.
func (s *splitter) feed(chunk []byte, line func(b []byte, offset int64), stats *logCounters) {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		part := chunk
		if i >= 0 {
			part = chunk[:i]
		}
		if !s.discarding {
			room := s.max - len(s.partial)
			if len(part) > room {
				s.partial = append(s.partial, part[:room]...)
				s.discarding = true
				stats.tooLong.Add(1)
			} else {
				s.partial = append(s.partial, part...)
			}
		}
		if i < 0 {
			s.pos += int64(len(chunk))
			return
		}
		s.pos += int64(i + 1)
		chunk = chunk[i+1:]
		line(s.partial, s.start)
		s.partial = s.partial[:0]
		s.discarding = false
		s.start = s.pos
	}
}

// flush hands out an unterminated last line (at the end of a file that
// is gone, or of a reader).
func (s *splitter) flush(line func(b []byte, offset int64)) {
	if len(s.partial) > 0 || s.discarding {
		line(s.partial, s.start)
	}
	s.partial = s.partial[:0]
	s.discarding = false
	s.start = s.pos
}

// reset restarts the splitter at offset pos, dropping a partial line.
func (s *splitter) reset(pos int64) {
	s.partial = s.partial[:0]
	s.discarding = false
	s.start, s.pos = pos, pos
}
