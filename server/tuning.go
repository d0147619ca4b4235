package server

// The tuning API: backtests, sweeps, evaluations and detector rankings of
// a monitor over past data, and the detector setting saved per monitor.
//
//	POST   /api/v1/backtest                 what a draft setting would have done (viewer)
//	POST   /api/v1/sweep                    the same at every sensitivity of a grid, with a recommendation (viewer)
//	POST   /api/v1/evaluate                 the metrics alone, per series and pooled (viewer)
//	GET    /api/v1/recommend                detector types ranked per series (viewer)
//	GET    /api/v1/monitors/{name}/tuning   the configured, saved and effective settings (viewer)
//	PUT    /api/v1/monitors/{name}/tuning   save a setting: the next run uses it (labeler)
//	DELETE /api/v1/monitors/{name}/tuning   back to the configured setting (labeler)
//
// Backtests compute and write nothing, so a viewer may run them; asking a
// backtest to remote-write its results needs a labeler, as saving does.
// docs/tuning.md describes the bodies and the semantics.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// defaultTuningRange is the range a recommendation looks at when the
// request gives none: the last week.
const defaultTuningRange = 7 * 24 * time.Hour

func (s *Server) tuningRoutes() {
	s.mux.HandleFunc("POST /api/v1/backtest", s.postBacktest)
	s.mux.HandleFunc("POST /api/v1/sweep", s.postSweep)
	s.mux.HandleFunc("POST /api/v1/evaluate", s.postEvaluate)
	s.mux.HandleFunc("GET /api/v1/recommend", s.getRecommend)
	s.mux.HandleFunc("GET /api/v1/monitors/{name}/tuning", s.getTuning)
	s.mux.HandleFunc("PUT /api/v1/monitors/{name}/tuning", s.putTuning)
	s.mux.HandleFunc("DELETE /api/v1/monitors/{name}/tuning", s.deleteTuning)
	s.mux.HandleFunc("GET /tuning", s.tuningPage)
	s.tuningAssetRoutes()
}

// selectorField is a series selector in a request: a string in PromQL
// notation ({channel="app"}, channel=~"a.*") or an object of label names
// to values (equalities).
type selectorField struct {
	matchers []*labels.Matcher
}

// UnmarshalJSON accepts "{channel=\"app\"}" or {"channel":"app"}.
func (f *selectorField) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		f.matchers = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		ms, err := parseSelector(s)
		if err != nil {
			return err
		}
		f.matchers = ms
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New(`series must be a selector such as {channel="app"} or an object of label names to values`)
	}
	f.matchers = nil
	for k, v := range m {
		mt, err := labels.NewMatcher(labels.MatchEqual, k, v)
		if err != nil {
			return err
		}
		f.matchers = append(f.matchers, mt)
	}
	return nil
}

// parseSelector parses a series selector; empty and {} select everything.
func parseSelector(s string) ([]*labels.Matcher, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "{}" {
		return nil, nil
	}
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(s)
	if err != nil {
		return nil, fmt.Errorf("series selector %q: %w", s, err)
	}
	return ms, nil
}

// durationField is a duration in a request: "24h", "1d", "90s".
type durationField struct{ time.Duration }

// UnmarshalJSON accepts a duration string.
func (d *durationField) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`a duration must be a string such as "24h" or "1d"`)
	}
	v, err := field.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v.Std()
	return nil
}

// backtestBody is the body of POST /api/v1/backtest, /sweep and
// /evaluate.
type backtestBody struct {
	Monitor     string        `json:"monitor"`
	Series      selectorField `json:"series"`
	From        apiTime       `json:"from"`
	To          apiTime       `json:"to"`
	Detector    engine.Draft  `json:"detector"`
	Refit       durationField `json:"refit"`
	MergeGap    durationField `json:"merge_gap"`
	Points      bool          `json:"points"`
	RemoteWrite bool          `json:"remote_write"`
	// sweep only
	Sensitivities   []float64 `json:"sensitivities"`
	MaxAlertsPerDay float64   `json:"max_alerts_per_day"`
}

// request turns a decoded body into the engine's request.
func (b backtestBody) request() (engine.BacktestRequest, error) {
	if strings.TrimSpace(b.Monitor) == "" {
		return engine.BacktestRequest{}, errors.New("monitor is required")
	}
	if b.From.IsZero() || b.To.IsZero() {
		return engine.BacktestRequest{}, errors.New("from and to are required")
	}
	if b.To.Before(b.From.Time) {
		return engine.BacktestRequest{}, fmt.Errorf("the range ends (%s) before it starts (%s)", b.To.Format(time.RFC3339), b.From.Format(time.RFC3339))
	}
	return engine.BacktestRequest{
		Monitor: b.Monitor, Match: b.Series.matchers, From: b.From.Time, To: b.To.Time,
		Draft: b.Detector, Refit: b.Refit.Duration, MergeGap: b.MergeGap.Duration,
		Points: b.Points, RemoteWrite: b.RemoteWrite,
	}, nil
}

// decodeBacktest reads a backtest body; it writes the 4xx itself. sweep
// says whether the sweep-only fields are allowed.
func (s *Server) decodeBacktest(w http.ResponseWriter, r *http.Request, sweep bool) (backtestBody, engine.BacktestRequest, bool) {
	var body backtestBody
	if !s.decodeJSON(w, r, &body) {
		return body, engine.BacktestRequest{}, false
	}
	req, err := body.request()
	if err == nil && !sweep && (body.Sensitivities != nil || body.MaxAlertsPerDay != 0) {
		err = errors.New("sensitivities and max_alerts_per_day belong to POST /api/v1/sweep")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return body, req, false
	}
	if req.RemoteWrite && !principalOf(r).role.Allows(store.RoleLabeler) {
		writeError(w, http.StatusForbidden, "forbidden", fmt.Errorf("remote_write writes series: it needs role %s, token %q has %s", store.RoleLabeler, principalOf(r).name, principalOf(r).role))
		return body, req, false
	}
	return body, req, true
}

// tuningError maps the engine's errors to statuses.
func (s *Server) tuningError(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, engine.ErrInvalidRequest), errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_data", err)
	case errors.Is(err, engine.ErrUnknownMonitor), errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err)
	case r.Context().Err() != nil:
		// The client went away or the server is stopping: nobody reads it.
		writeError(w, http.StatusServiceUnavailable, "canceled", err)
	default:
		s.internalError(w, what, err)
	}
}

// postBacktest serves POST /api/v1/backtest.
func (s *Server) postBacktest(w http.ResponseWriter, r *http.Request) {
	_, req, ok := s.decodeBacktest(w, r, false)
	if !ok {
		return
	}
	res, err := s.opts.Engine.Backtest(r.Context(), req)
	if err != nil {
		s.tuningError(w, r, "backtest", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: res})
}

// postSweep serves POST /api/v1/sweep.
func (s *Server) postSweep(w http.ResponseWriter, r *http.Request) {
	body, req, ok := s.decodeBacktest(w, r, true)
	if !ok {
		return
	}
	if req.RemoteWrite {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New("remote_write applies to POST /api/v1/backtest, not to sweeps"))
		return
	}
	res, err := s.opts.Engine.Sweep(r.Context(), engine.SweepRequest{BacktestRequest: req, Sensitivities: body.Sensitivities, MaxAlertsPerDay: body.MaxAlertsPerDay})
	if err != nil {
		s.tuningError(w, r, "sweep", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: res})
}

// evaluation is the answer of POST /api/v1/evaluate.
type evaluation struct {
	Monitor  string                `json:"monitor"`
	From     time.Time             `json:"from"`
	To       time.Time             `json:"to"`
	Detector engine.Draft          `json:"detector"`
	Metrics  engine.Metrics        `json:"metrics"`
	Series   []seriesEvaluationRow `json:"series"`
}

type seriesEvaluationRow struct {
	Labels    labels.Labels  `json:"labels"`
	Detector  string         `json:"detector"`
	NotJudged string         `json:"not_judged,omitempty"`
	Metrics   engine.Metrics `json:"metrics"`
}

// postEvaluate serves POST /api/v1/evaluate: a backtest's metrics
// without its alerts.
func (s *Server) postEvaluate(w http.ResponseWriter, r *http.Request) {
	_, req, ok := s.decodeBacktest(w, r, false)
	if !ok {
		return
	}
	if req.RemoteWrite || req.Points {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New("points and remote_write apply to POST /api/v1/backtest"))
		return
	}
	res, err := s.opts.Engine.Backtest(r.Context(), req)
	if err != nil {
		s.tuningError(w, r, "evaluate", err)
		return
	}
	out := evaluation{Monitor: res.Monitor, From: res.From, To: res.To, Detector: res.Detector, Metrics: res.Metrics}
	for _, sr := range res.Series {
		out.Series = append(out.Series, seriesEvaluationRow{Labels: sr.Labels, Detector: sr.Detector, NotJudged: sr.NotJudged, Metrics: sr.Metrics})
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: out})
}

// getRecommend serves GET /api/v1/recommend?monitor=&labels=&from=&to=
// &max_alerts_per_day=&types=. labels (or series) is a series selector;
// the range defaults to the last week; types is a comma-separated list.
func (s *Server) getRecommend(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := engine.RecommendRequest{Monitor: q.Get("monitor")}
	bad := func(err error) { writeError(w, http.StatusBadRequest, "bad_data", err) }
	if req.Monitor == "" {
		bad(errors.New("monitor is required"))
		return
	}
	sel := q.Get("labels")
	if sel == "" {
		sel = q.Get("series")
	}
	var err error
	if req.Match, err = parseSelector(sel); err != nil {
		bad(err)
		return
	}
	if req.From, err = parseTime(q.Get("from")); err != nil {
		bad(fmt.Errorf("from: %w", err))
		return
	}
	if req.To, err = parseTime(q.Get("to")); err != nil {
		bad(fmt.Errorf("to: %w", err))
		return
	}
	if req.To.IsZero() {
		req.To = s.opts.Engine.Now()
	}
	if req.From.IsZero() {
		req.From = req.To.Add(-defaultTuningRange)
	}
	if v := q.Get("max_alerts_per_day"); v != "" {
		if _, err := fmt.Sscan(v, &req.MaxAlertsPerDay); err != nil || !(req.MaxAlertsPerDay > 0) {
			bad(fmt.Errorf("max_alerts_per_day must be a positive number, got %q", v))
			return
		}
	}
	if v := q.Get("types"); v != "" {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				req.Types = append(req.Types, t)
			}
		}
	}
	res, err := s.opts.Engine.Recommend(r.Context(), req)
	if err != nil {
		s.tuningError(w, r, "recommend", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: res})
}

// getTuning serves GET /api/v1/monitors/{name}/tuning.
func (s *Server) getTuning(w http.ResponseWriter, r *http.Request) {
	v, err := s.opts.Engine.TuningOf(r.PathValue("name"))
	if err != nil {
		s.tuningError(w, r, "tuning", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: v})
}

// tuningBody is the body of PUT /api/v1/monitors/{name}/tuning.
type tuningBody struct {
	Detector *engine.Draft `json:"detector"`
	Note     string        `json:"note"`
}

// putTuning serves PUT /api/v1/monitors/{name}/tuning (labeler): the
// author is the caller.
func (s *Server) putTuning(w http.ResponseWriter, r *http.Request) {
	var body tuningBody
	if !s.decodeJSON(w, r, &body) {
		return
	}
	if body.Detector == nil {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New(`detector is required, e.g. {"detector": {"sensitivity": 0.8}}`))
		return
	}
	p := principalOf(r)
	v, err := s.opts.Engine.SaveTuning(r.Context(), p.name, engine.Tuning{
		Monitor: r.PathValue("name"), Detector: *body.Detector, Author: p.name, Note: body.Note,
	})
	if err != nil {
		s.tuningError(w, r, "save tuning", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: v})
}

// deleteTuning serves DELETE /api/v1/monitors/{name}/tuning (labeler).
func (s *Server) deleteTuning(w http.ResponseWriter, r *http.Request) {
	v, err := s.opts.Engine.DeleteTuning(r.Context(), principalOf(r).name, r.PathValue("name"))
	if err != nil {
		s.tuningError(w, r, "delete tuning", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: v})
}
