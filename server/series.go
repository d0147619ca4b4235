package server

// The series catalogue and series windows. A window of 50,000 points is
// some 3 MB of JSON, so answers are built by hand (columns of numbers,
// no reflection), built once however many clients ask at the same time,
// cached serialised and gzipped under the request and the monitor's
// generation, and carry an ETag for conditional requests.

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/engine"
)

// defaultWindow is the range of a window request without from.
const defaultWindow = 24 * time.Hour

// listSeries serves GET /api/v1/series?monitor=.
func (s *Server) listSeries(w http.ResponseWriter, r *http.Request) {
	list, err := s.opts.Engine.Series(r.Context(), r.URL.Query().Get("monitor"))
	switch {
	case errors.Is(err, engine.ErrUnknownMonitor):
		writeError(w, http.StatusNotFound, "not_found", err)
		return
	case err != nil:
		s.internalError(w, "list series", err)
		return
	}
	if list == nil {
		list = []engine.SeriesInfo{}
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"series": list}})
}

// windowRequest is a parsed GET /api/v1/series/window.
type windowRequest struct {
	q   engine.WindowQuery
	key string // the request's identity in the answer cache, sans generation
}

func parseWindowRequest(r *http.Request, now time.Time) (windowRequest, error) {
	v := r.URL.Query()
	var wr windowRequest
	q := &wr.q
	q.Monitor = v.Get("monitor")
	if q.Monitor == "" {
		return wr, errors.New("monitor is required")
	}
	sel := v.Get("labels")
	if sel == "" {
		sel = v.Get("series")
	}
	if sel == "" {
		return wr, errors.New("labels is required: the series' label set, as JSON or name{a=\"b\"}")
	}
	ls, err := parseSeries(sel)
	if err != nil {
		return wr, fmt.Errorf("labels: %w", err)
	}
	q.Series = ls
	if q.From, err = parseTime(v.Get("from")); err != nil {
		return wr, fmt.Errorf("from: %w", err)
	}
	if q.To, err = parseTime(v.Get("to")); err != nil {
		return wr, fmt.Errorf("to: %w", err)
	}
	if q.To.IsZero() {
		q.To = now
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-defaultWindow)
	}
	if st := v.Get("step"); st != "" {
		if q.Step, err = parseStep(st); err != nil {
			return wr, err
		}
	}
	wr.key = fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%d", q.Monitor, alert.FingerprintOf(ls), q.From.UnixMilli(), q.To.UnixMilli(), q.Step)
	return wr, nil
}

// parseStep reads a step as a duration ("5m", "1d") or seconds ("300").
func parseStep(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if !(f > 0) || f > 1e9 {
			return 0, fmt.Errorf("step %q must be a positive number of seconds", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := field.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("step %q: want a duration such as 5m, or seconds", s)
	}
	return d.Std(), nil
}

// seriesWindow serves GET /api/v1/series/window?monitor=&labels=&from=&to=&step=.
func (s *Server) seriesWindow(w http.ResponseWriter, r *http.Request) {
	wr, err := parseWindowRequest(r, time.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	eng := s.opts.Engine
	key := wr.key + "\x00" + strconv.FormatUint(eng.Generation(wr.q.Monitor), 10)
	ans, err := s.lab.windows.getOrBuild(key, func() (*answer, error) {
		// Built once for every request waiting on it: not on the context
		// of the one that happened to come first.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), windowBuildTimeout)
		defer cancel()
		win, err := eng.SeriesWindow(ctx, wr.q)
		if err != nil {
			return nil, err
		}
		return s.lab.windows.answerFor(win)
	})
	if s.windowFailed(w, "series window", err) {
		return
	}
	ans.serve(w, r)
}

// windowFailed answers a failed Engine.SeriesWindow: not found for an
// unknown monitor or series, bad data for a bad window, an internal error
// (logged as what) otherwise. It reports whether err was an error.
func (s *Server) windowFailed(w http.ResponseWriter, what string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, engine.ErrUnknownMonitor), errors.Is(err, engine.ErrUnknownSeries):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, engine.ErrBadWindow):
		writeError(w, http.StatusBadRequest, "bad_data", err)
	default:
		s.internalError(w, what, err)
	}
	return true
}

// A window's answer is two parts: the columns (times, values, band) —
// nearly all of its bytes, fixed for a computed band — and the tail
// (events and labels), which changes whenever a label does. Each part is
// kept raw and as raw DEFLATE: the columns' stream ends with a sync flush
// (byte-aligned, not final), the tail's with the final block, so that
// gzip header + columns + tail + trailer is one valid gzip stream. A
// label change thus costs encoding and compressing the tail, not the
// 50,000 points.

// columns is the encoded columns of one computed band.
type columns struct {
	raw, deflated []byte
	crc           uint32 // CRC-32 of raw, continued over the tail
	sum           uint64 // FNV-1a of raw, for the ETag
	used          time.Time
}

// encodeColumns encodes and compresses the columns part of win.
func encodeColumns(win *engine.Window) (*columns, error) {
	raw := appendColumns(nil, win)
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(raw); err != nil {
		return nil, err
	}
	if err := fw.Flush(); err != nil { // sync flush: byte-aligned, not final
		return nil, err
	}
	h := fnv.New64a()
	h.Write(raw)
	return &columns{raw: raw, deflated: b.Bytes(), crc: crc32.ChecksumIEEE(raw), sum: h.Sum64(), used: time.Now()}, nil
}

// gzipHeader is a minimal gzip member header: deflate, no name, no mtime,
// unknown OS.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// answer is a serialised response, raw and gzipped, each in parts
// written one after the other.
type answer struct {
	raw, gz       [][]byte
	rawLen, gzLen int
	etag          string
	expires       time.Time

	mu   sync.Mutex
	used time.Time
}

// newAnswer joins the columns and the tail of a window.
func newAnswer(cols *columns, tail []byte, expires time.Time) (*answer, error) {
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(tail); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	crc := crc32.Update(cols.crc, crc32.IEEETable, tail)
	trailer := binary.LittleEndian.AppendUint32(nil, crc)
	trailer = binary.LittleEndian.AppendUint32(trailer, uint32(len(cols.raw)+len(tail)))
	h := fnv.New64a()
	h.Write(binary.LittleEndian.AppendUint64(nil, cols.sum))
	h.Write(tail)
	a := &answer{
		raw:     [][]byte{cols.raw, tail},
		gz:      [][]byte{gzipHeader, cols.deflated, b.Bytes(), trailer},
		etag:    fmt.Sprintf(`"%016x"`, h.Sum64()),
		expires: expires,
		used:    time.Now(),
	}
	for _, p := range a.raw {
		a.rawLen += len(p)
	}
	for _, p := range a.gz {
		a.gzLen += len(p)
	}
	return a, nil
}

// serve writes the answer: 304 when the client has it, gzipped when the
// client accepts gzip.
func (a *answer) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	parts, n := a.raw, a.rawLen
	if acceptsGzip(r) {
		parts, n = a.gz, a.gzLen
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return // the client went away
		}
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// windowCache keeps the newest serialised windows, and builds each at
// most once however many requests ask for it at the same time.
type windowCache struct {
	mu       sync.Mutex
	entries  map[string]*answer
	inflight map[string]*answerCall
	columns  map[uint64]*columns // by engine.Window.Band
}

type answerCall struct {
	done chan struct{}
	a    *answer
	err  error
}

// windowCacheEntries bounds the cache: 16 windows of 50,000 points are
// about 50 MB raw plus their gzipped forms.
const windowCacheEntries = 16

// windowBuildTimeout bounds building one answer (the source query
// included).
const windowBuildTimeout = 2 * time.Minute

func newWindowCache() *windowCache {
	return &windowCache{entries: map[string]*answer{}, inflight: map[string]*answerCall{}, columns: map[uint64]*columns{}}
}

// answerFor builds the answer of win, reusing the encoded columns of its
// band when another answer already made them.
func (c *windowCache) answerFor(win *engine.Window) (*answer, error) {
	c.mu.Lock()
	cols, ok := c.columns[win.Band]
	if ok {
		cols.used = time.Now()
	}
	c.mu.Unlock()
	if !ok {
		var err error
		if cols, err = encodeColumns(win); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.columns[win.Band] = cols
		for len(c.columns) > windowCacheEntries {
			var oldest uint64
			var at time.Time
			for k, e := range c.columns {
				if at.IsZero() || e.used.Before(at) {
					oldest, at = k, e.used
				}
			}
			delete(c.columns, oldest)
		}
		c.mu.Unlock()
	}
	tail, err := appendTail(nil, win)
	if err != nil {
		return nil, err
	}
	return newAnswer(cols, tail, win.Expires)
}

// getOrBuild returns the cached answer for key, or builds it — once,
// however many callers ask meanwhile. Errors are not cached.
func (c *windowCache) getOrBuild(key string, build func() (*answer, error)) (*answer, error) {
	if a := c.get(key); a != nil {
		return a, nil
	}
	c.mu.Lock()
	if call, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-call.done
		return call.a, call.err
	}
	call := &answerCall{done: make(chan struct{})}
	c.inflight[key] = call
	c.mu.Unlock()

	call.a, call.err = build()
	c.mu.Lock()
	delete(c.inflight, key)
	c.mu.Unlock()
	if call.err == nil {
		c.put(key, call.a)
	}
	close(call.done)
	return call.a, call.err
}

func (c *windowCache) get(key string) *answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.entries[key]
	if !ok {
		return nil
	}
	now := time.Now()
	if !now.Before(a.expires) {
		delete(c.entries, key)
		return nil
	}
	a.mu.Lock()
	a.used = now
	a.mu.Unlock()
	return a
}

func (c *windowCache) put(key string, a *answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = a
	for len(c.entries) > windowCacheEntries {
		var oldest string
		var at time.Time
		for k, e := range c.entries {
			e.mu.Lock()
			u := e.used
			e.mu.Unlock()
			if oldest == "" || u.Before(at) {
				oldest, at = k, u
			}
		}
		delete(c.entries, oldest)
	}
}

// encodeWindow returns the whole answer to a window request, raw.
func encodeWindow(win *engine.Window) ([]byte, error) {
	return appendTail(appendColumns(nil, win), win)
}

// appendColumns writes the envelope and the window up to its last column
// by hand: the columns are most of the bytes, and strconv is several
// times faster than encoding/json's reflection over []float64 (NaN,
// which JSON lacks, is written as null).
func appendColumns(b []byte, win *engine.Window) []byte {
	n := len(win.Times)
	b = slices.Grow(b, 512+n*80)
	b = append(b, `{"status":"success","data":{"monitor":`...)
	b = appendJSON(b, win.Monitor)
	b = append(b, `,"series":`...)
	b = appendJSON(b, win.Series)
	b = append(b, `,"from":`...)
	b = appendJSON(b, win.From.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"to":`...)
	b = appendJSON(b, win.To.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"step":`...)
	b = appendJSON(b, field.Duration(win.Step).String())
	b = append(b, `,"step_ms":`...)
	b = strconv.AppendInt(b, win.Step.Milliseconds(), 10)
	b = append(b, `,"model":`...)
	b = appendJSON(b, win.Model)
	b = append(b, `,"detector":`...)
	b = appendJSON(b, win.Detector)
	b = append(b, `,"points":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"times":[`...)
	for i, t := range win.Times {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, t, 10)
	}
	b = append(b, ']')
	for _, col := range []struct {
		name string
		v    []float64
	}{{"values", win.Values}, {"expected", win.Expected}, {"lower", win.Lower}, {"upper", win.Upper}} {
		b = append(b, `,"`...)
		b = append(b, col.name...)
		b = append(b, `":[`...)
		for i, v := range col.v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, v)
		}
		b = append(b, ']')
	}
	return b
}

// appendTail writes the events and labels and closes the envelope.
func appendTail(b []byte, win *engine.Window) ([]byte, error) {
	evs, err := json.Marshal(win.Events)
	if err != nil {
		return nil, fmt.Errorf("encode events: %w", err)
	}
	lab, err := json.Marshal(win.Labels)
	if err != nil {
		return nil, fmt.Errorf("encode labels: %w", err)
	}
	b = append(b, `,"events":`...)
	b = append(b, nullAsEmpty(evs)...)
	b = append(b, `,"labels":`...)
	b = append(b, nullAsEmpty(lab)...)
	return append(b, "}}\n"...), nil
}

// appendFloat writes v in the shortest form that reads back exactly, or
// null for NaN and infinities.
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

func nullAsEmpty(j []byte) []byte {
	if string(j) == "null" {
		return []byte("[]")
	}
	return j
}

// compile-time check: label sets marshal as JSON objects.
var _ json.Marshaler = labels.Labels{}
