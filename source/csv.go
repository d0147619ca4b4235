package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/common/model"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/series"
)

// Limits of the CSV reader.
const (
	DefaultMaxLineBytes = 1 << 20 // a longer line is skipped as a bad row
	DefaultMaxBadLines  = 5       // bad rows whose line numbers are kept in the report
)

// CSVOptions configures ReadCSV. The zero value reads every column of a
// file whose time column is "timestamp" (or the first column), detecting
// the time format.
type CSVOptions struct {
	// TimeColumn names the time column. If empty, "timestamp" is used when
	// present and the first column otherwise.
	TimeColumn string
	// TimeFormat is a Go layout, TimeFormatUnix, TimeFormatUnixMs or
	// TimeFormatAuto.
	TimeFormat string
	// Location is the zone of timestamps without an offset (default UTC).
	Location *time.Location
	// Columns selects value columns by name; nil means all of them.
	Columns []string
	// File is the value of the "file" label (the file's stem); empty
	// leaves the label out.
	File string
	// Start and End, when not zero, keep only rows in [Start, End].
	Start, End time.Time
	// MaxLineBytes caps a line's length (default DefaultMaxLineBytes).
	MaxLineBytes int
	// MaxBadLines caps CSVReport.BadLines (default DefaultMaxBadLines).
	MaxBadLines int
}

// CSVReport says what ReadCSV skipped, so that callers can log it.
type CSVReport struct {
	Rows     int       // data rows read (bad ones included, blank lines not)
	BadRows  int       // rows with at least one skipped field
	NaN      int       // values read as NaN ("NaN", empty, "null")
	BadLines []BadLine // the first MaxBadLines bad rows
}

// BadLine is one skipped row or field.
type BadLine struct {
	Line   int    // 1-based line number in the input
	Reason string // why it was skipped
}

func (b BadLine) String() string { return fmt.Sprintf("line %d: %s", b.Line, b.Reason) }

// LogValue lets a report be logged as one structured attribute.
func (r CSVReport) LogValue() slog.Value {
	lines := make([]string, len(r.BadLines))
	for i, b := range r.BadLines {
		lines[i] = b.String()
	}
	return slog.GroupValue(
		slog.Int("rows", r.Rows),
		slog.Int("bad_rows", r.BadRows),
		slog.Int("nan", r.NaN),
		slog.Any("first_bad", lines),
	)
}

func (r *CSVReport) bad(line, max int, format string, args ...any) {
	if len(r.BadLines) < max {
		r.BadLines = append(r.BadLines, BadLine{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
}

// errLineTooLong marks a line longer than the configured cap.
var errLineTooLong = errors.New("line too long")

// ReadCSV reads time series from CSV: a header row, then one row per
// instant with a time column and one or more value columns. Each selected
// value column becomes one series labelled __name__=<column> and
// file=<opts.File>.
//
// Rows with the wrong number of fields or an unparsable timestamp are
// skipped, as are unparsable values (the row's other values are kept);
// all are counted in the report. "NaN", "null" and empty values are kept
// as NaN, and duplicates and disorder are kept as read: series.Clean deals
// with them. A UTF-8 byte order mark and CRLF line ends are accepted.
// Fields may be quoted, but not span lines. The error is non-nil only when
// the input cannot be read as CSV at all: no header, an unknown column, or
// a read error.
func ReadCSV(r io.Reader, opts CSVOptions) ([]series.Series, CSVReport, error) {
	var rep CSVReport
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxBadLines <= 0 {
		opts.MaxBadLines = DefaultMaxBadLines
	}
	lr := newLineReader(r, opts.MaxLineBytes)

	// Header: the first non-blank line.
	var header []string
	for header == nil {
		line, err := lr.next()
		switch {
		case err == io.EOF:
			return nil, rep, errors.New("no header row")
		case errors.Is(err, errLineTooLong):
			return nil, rep, fmt.Errorf("header (line %d) is longer than %d bytes", lr.n, opts.MaxLineBytes)
		case err != nil:
			return nil, rep, err
		}
		if lr.n == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		fields, err := splitCSVLine(string(line))
		if err != nil {
			return nil, rep, fmt.Errorf("header (line %d): %w", lr.n, err)
		}
		header = fields
	}
	timeIdx, valueIdx, err := csvColumns(header, opts.TimeColumn, opts.Columns)
	if err != nil {
		return nil, rep, err
	}

	out := make([]series.Series, len(valueIdx))
	for i, ci := range valueIdx {
		if opts.File != "" {
			out[i].Labels = labels.FromStrings(model.MetricNameLabel, header[ci], "file", opts.File)
		} else {
			out[i].Labels = labels.FromStrings(model.MetricNameLabel, header[ci])
		}
	}
	tp := newTimeParser(opts.TimeFormat, opts.Location)
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLineTooLong) {
			rep.Rows++
			rep.BadRows++
			rep.bad(lr.n, opts.MaxBadLines, "longer than %d bytes", opts.MaxLineBytes)
			continue
		}
		if err != nil {
			return nil, rep, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rep.Rows++
		fields, err := splitCSVLine(string(line))
		if err != nil {
			rep.BadRows++
			rep.bad(lr.n, opts.MaxBadLines, "%v", err)
			continue
		}
		if len(fields) != len(header) {
			rep.BadRows++
			rep.bad(lr.n, opts.MaxBadLines, "%d fields, header has %d", len(fields), len(header))
			continue
		}
		t, err := tp.parse(fields[timeIdx])
		if err != nil {
			rep.BadRows++
			rep.bad(lr.n, opts.MaxBadLines, "%v", err)
			continue
		}
		if (!opts.Start.IsZero() && t.Before(opts.Start)) || (!opts.End.IsZero() && t.After(opts.End)) {
			continue
		}
		rowBad := false
		for i, ci := range valueIdx {
			v, nan, err := parseCSVValue(fields[ci])
			if err != nil {
				if !rowBad {
					rep.BadRows++
					rowBad = true
				}
				rep.bad(lr.n, opts.MaxBadLines, "column %q: %v", header[ci], err)
				continue
			}
			if nan {
				rep.NaN++
			}
			out[i].Points = append(out[i].Points, series.Point{T: t, V: v})
		}
	}
	// Like a Prometheus query, return only series that have points.
	out = slices.DeleteFunc(out, func(s series.Series) bool { return len(s.Points) == 0 })
	return out, rep, nil
}

// csvColumns finds the time column and the selected value columns.
func csvColumns(header []string, timeColumn string, selected []string) (int, []int, error) {
	if len(header) < 2 {
		return 0, nil, fmt.Errorf("header has %d column(s); need a time column and at least one value column", len(header))
	}
	for i, h := range header {
		if h == "" {
			header[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	for i, h := range header {
		if j := slices.Index(header[i+1:], h); j >= 0 {
			return 0, nil, fmt.Errorf("header names column %q twice", h)
		}
	}
	timeIdx := 0
	switch {
	case timeColumn != "":
		timeIdx = slices.Index(header, timeColumn)
		if timeIdx < 0 {
			return 0, nil, fmt.Errorf("time column %q not in header %q", timeColumn, header)
		}
	default:
		if i := slices.Index(header, DefaultTimeColumn); i >= 0 {
			timeIdx = i
		}
	}
	var valueIdx []int
	if selected == nil {
		for i := range header {
			if i != timeIdx {
				valueIdx = append(valueIdx, i)
			}
		}
		return timeIdx, valueIdx, nil
	}
	for _, name := range selected {
		i := slices.Index(header, name)
		switch {
		case i < 0:
			return 0, nil, fmt.Errorf("column %q not in header %q", name, header)
		case i == timeIdx:
			return 0, nil, fmt.Errorf("column %q is the time column", name)
		}
		valueIdx = append(valueIdx, i)
	}
	return timeIdx, valueIdx, nil
}

// parseCSVValue reads a number; nan reports a missing value kept as NaN.
func parseCSVValue(s string) (v float64, nan bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "null") {
		return math.NaN(), true, nil
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, false, fmt.Errorf("value %q out of range", s)
		}
		return 0, false, fmt.Errorf("invalid value %q", truncate(s, 40))
	}
	return v, math.IsNaN(v), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// splitCSVLine splits one line into fields (RFC 4180 quoting, without
// line breaks inside quotes).
func splitCSVLine(line string) ([]string, error) {
	line = strings.TrimSuffix(line, "\r")
	var fields []string
	for {
		if !strings.HasPrefix(line, `"`) {
			i := strings.IndexByte(line, ',')
			if i < 0 {
				return append(fields, line), nil
			}
			fields = append(fields, line[:i])
			line = line[i+1:]
			continue
		}
		var b strings.Builder
		i := 1
		for {
			j := strings.IndexByte(line[i:], '"')
			if j < 0 {
				return nil, errors.New("unterminated quoted field")
			}
			b.WriteString(line[i : i+j])
			i += j + 1
			if i < len(line) && line[i] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			break
		}
		fields = append(fields, b.String())
		switch {
		case i == len(line):
			return fields, nil
		case line[i] == ',':
			line = line[i+1:]
		default:
			return nil, fmt.Errorf("unexpected %q after quoted field", line[i])
		}
	}
}

// lineReader yields lines without their '\n', never holding more than max
// bytes of one line in memory.
type lineReader struct {
	br  *bufio.Reader
	max int
	n   int // number of the line last returned
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line (valid until the following call), io.EOF at
// the end, or errLineTooLong after skipping an overlong line.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	tooLong := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(chunk) > lr.max+2 { // +2: room for "\r\n"
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(chunk) == 0 && len(lr.buf) == 0 && !tooLong {
				return nil, io.EOF
			}
		case err != nil:
			return nil, fmt.Errorf("read line %d: %w", lr.n+1, err)
		}
		lr.n++
		if tooLong {
			return nil, errLineTooLong
		}
		line := bytes.TrimSuffix(lr.buf, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), nil
	}
}

// csvSource reads a CSV file on every query, so that a file rewritten by
// another process is picked up.
type csvSource struct {
	name   string
	path   string
	opts   CSVOptions
	logger *slog.Logger
}

func newCSVSource(name string, cfg Config, logger *slog.Logger) (*csvSource, error) {
	loc := time.UTC
	if cfg.Timezone != "" {
		l, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			return nil, err
		}
		loc = l
	}
	stem := strings.TrimSuffix(filepath.Base(cfg.Path), filepath.Ext(cfg.Path))
	return &csvSource{
		name: name,
		path: cfg.Path,
		opts: CSVOptions{
			TimeColumn: cfg.TimeColumn,
			TimeFormat: cfg.TimeFormat,
			Location:   loc,
			File:       stem,
		},
		logger: logger,
	}, nil
}

// Query reads the file and returns the columns that q.Expr names ("" or
// "*" for all) within [q.Start, q.End] (either may be zero). q.Step is
// not used: the file's own timestamps are returned.
func (s *csvSource) Query(ctx context.Context, q Query) ([]series.Series, error) {
	cols, err := parseColumns(q.Expr)
	if err != nil {
		return nil, fmt.Errorf("csv source %q: %w", s.name, err)
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("csv source %q: %w", s.name, err)
	}
	defer f.Close()
	opts := s.opts
	opts.Columns = cols
	opts.Start, opts.End = q.Start, q.End
	// The default column name is a preference, not a requirement: NAB
	// files call it "timestamp", others put the time first under any name.
	if opts.TimeColumn == DefaultTimeColumn {
		opts.TimeColumn = ""
	}
	out, rep, err := ReadCSV(ctxReader{ctx, f}, opts)
	if err != nil {
		return nil, fmt.Errorf("csv source %q: read %s: %w", s.name, s.path, err)
	}
	if rep.BadRows > 0 {
		s.logger.Warn("skipped bad CSV rows", "source", s.name, "path", s.path, "report", rep)
	}
	return out, nil
}

// Close does nothing: the file is opened per query.
func (s *csvSource) Close() error { return nil }

// ctxReader stops a read when its context is done, so that a huge file
// cannot outlive the query's deadline.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
