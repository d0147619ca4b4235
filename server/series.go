package server

// The series catalogue and series windows. A window of 50,000 points is
// some 3 MB of JSON, so answers are built by hand (columns of numbers,
// no reflection), cached already serialised — and gzipped on the first
// request that accepts it — under the engine's window key and the
// monitor's generation, and carry an ETag for conditional requests.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
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
	ans := s.lab.windows.get(key)
	if ans == nil {
		win, err := eng.SeriesWindow(r.Context(), wr.q)
		switch {
		case errors.Is(err, engine.ErrUnknownMonitor), errors.Is(err, engine.ErrUnknownSeries):
			writeError(w, http.StatusNotFound, "not_found", err)
			return
		case errors.Is(err, engine.ErrBadWindow):
			writeError(w, http.StatusBadRequest, "bad_data", err)
			return
		case err != nil:
			s.internalError(w, "series window", err)
			return
		}
		body, err := encodeWindow(win)
		if err != nil {
			s.internalError(w, "series window", err)
			return
		}
		ans = newAnswer(body, win.Expires)
		s.lab.windows.put(key, ans)
	}
	ans.serve(w, r)
}

// answer is a serialised response, with its gzipped form made once.
type answer struct {
	raw     []byte
	etag    string
	expires time.Time

	gzOnce sync.Once
	gz     []byte

	mu   sync.Mutex
	used time.Time
}

func newAnswer(raw []byte, expires time.Time) *answer {
	h := fnv.New64a()
	h.Write(raw)
	return &answer{raw: raw, etag: fmt.Sprintf(`"%016x"`, h.Sum64()), expires: expires, used: time.Now()}
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
	body := a.raw
	if acceptsGzip(r) {
		a.gzOnce.Do(func() {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
			_, _ = zw.Write(a.raw)
			if zw.Close() == nil {
				a.gz = b.Bytes()
			}
		})
		if a.gz != nil {
			body = a.gz
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
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

// windowCache keeps the newest serialised windows.
type windowCache struct {
	mu      sync.Mutex
	entries map[string]*answer
}

// windowCacheEntries bounds the cache: 16 windows of 50,000 points are
// about 50 MB raw plus their gzipped forms.
const windowCacheEntries = 16

func newWindowCache() *windowCache { return &windowCache{entries: map[string]*answer{}} }

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

// encodeWindow writes the envelope and the window by hand: the columns
// are most of the bytes and strconv is several times faster than
// encoding/json's reflection over []float64 (NaN, which JSON lacks, is
// written as null).
func encodeWindow(win *engine.Window) ([]byte, error) {
	n := len(win.Times)
	b := make([]byte, 0, 512+n*80)
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
	b = append(b, "}}\n"...)
	return b, nil
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
