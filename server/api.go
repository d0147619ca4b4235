package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/store"
)

// Limits on GET /api/v1/events.
const (
	defaultEventLimit = 100
	maxEventLimit     = 10000
)

// apiResponse is the envelope of every JSON answer, as in Prometheus's API.
type apiResponse struct {
	Status    string `json:"status"` // success or error
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing useful to do
}

func writeError(w http.ResponseWriter, code int, typ string, err error) {
	writeJSON(w, code, apiResponse{Status: "error", ErrorType: typ, Error: err.Error()})
}

// parseTime accepts RFC 3339 or Unix seconds (with fractions), as Prometheus does.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid time %q: use RFC 3339 or Unix seconds", s)
	}
	return t, nil
}

// eventQuery is a parsed GET /api/v1/events request.
type eventQuery struct {
	filter    store.EventFilter
	selectors [][]*labels.Matcher // ORed, as match[] in Prometheus
}

// queryLimit reads a list's limit query parameter: an integer in 1..max,
// or def when it is absent.
func queryLimit(q url.Values, def, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > max {
		return 0, fmt.Errorf("limit must be an integer in 1..%d", max)
	}
	return n, nil
}

func parseEventQuery(r *http.Request) (eventQuery, error) {
	q := r.URL.Query()
	var eq eventQuery
	var err error
	if eq.filter.From, err = parseTime(q.Get("from")); err != nil {
		return eq, fmt.Errorf("from: %w", err)
	}
	if eq.filter.To, err = parseTime(q.Get("to")); err != nil {
		return eq, fmt.Errorf("to: %w", err)
	}
	if !eq.filter.From.IsZero() && !eq.filter.To.IsZero() && eq.filter.To.Before(eq.filter.From) {
		return eq, fmt.Errorf("to is before from")
	}
	eq.filter.Job = q.Get("monitor")
	if eq.filter.Job == "" {
		eq.filter.Job = q.Get("job")
	}
	eq.filter.Kind = alert.Kind(q.Get("kind"))
	if eq.filter.Limit, err = queryLimit(q, defaultEventLimit, maxEventLimit); err != nil {
		return eq, err
	}
	p := parser.NewParser(parser.Options{})
	for _, sel := range append(q["match[]"], q["match"]...) {
		ms, err := p.ParseMetricSelector(sel)
		if err != nil {
			return eq, fmt.Errorf("match %q: %w", sel, err)
		}
		eq.selectors = append(eq.selectors, ms)
	}
	return eq, nil
}

// listEvents serves GET /api/v1/events?from=&to=&monitor=&kind=&match[]=&limit=.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	eq, err := parseEventQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	st := s.opts.Engine.Store()
	var events []alert.Event
	if len(eq.selectors) == 0 {
		events, err = st.Events(r.Context(), eq.filter)
	} else {
		events, err = s.eventsMatchingAny(r, eq)
	}
	if err != nil {
		s.internalError(w, "list events", err)
		return
	}
	if events == nil {
		events = []alert.Event{} // [] rather than null for clients
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"events": events}})
}

// eventsMatchingAny runs one store query per selector and merges the
// results newest first, without duplicates, up to the limit.
func (s *Server) eventsMatchingAny(r *http.Request, eq eventQuery) ([]alert.Event, error) {
	seen := map[int64]bool{}
	var all []alert.Event
	for _, ms := range eq.selectors {
		f := eq.filter
		f.Matchers = ms
		evs, err := s.opts.Engine.Store().Events(r.Context(), f)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				all = append(all, e)
			}
		}
	}
	slices.SortStableFunc(all, func(a, b alert.Event) int { return b.Time.Compare(a.Time) })
	if len(all) > eq.filter.Limit {
		all = all[:eq.filter.Limit]
	}
	return all, nil
}

// listJobs serves GET /api/v1/jobs: every job and how its last run went.
func (s *Server) listJobs(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"jobs": s.opts.Engine.Jobs()}})
}

// listChoices serves GET /api/v1/choices?monitor=: the detector type auto
// chose for each series, with the backtest's reasons and scores.
func (s *Server) listChoices(w http.ResponseWriter, r *http.Request) {
	choices, err := s.opts.Engine.Store().Choices(r.Context(), r.URL.Query().Get("monitor"))
	if err != nil {
		s.internalError(w, "list choices", err)
		return
	}
	if choices == nil {
		choices = []store.Choice{}
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"choices": choices}})
}
