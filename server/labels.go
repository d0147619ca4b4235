package server

// The labeling API: labels CRUD for a point or a range, confirming and
// rejecting Seismo's proposals, bulk import and export (CSV, JSON and
// NAB's windows format) and the audit log.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// labeling is the server state of the labeling API.
type labeling struct {
	auth    *authenticator
	maxBody int64
	windows *windowCache
}

// initLabeling builds the labeling state from the engine's server
// configuration and stored tokens.
func (s *Server) initLabeling() error {
	cfg := config.Server{MaxBodyBytes: maxBodyBytes}
	if s.opts.Engine != nil {
		cfg = s.opts.Engine.ServerConfig()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = maxBodyBytes // an engine built without config.Load's defaults
	}
	var ts store.TokenStore
	if s.opts.Engine != nil && s.opts.Engine.Store() != nil {
		ts = s.opts.Engine.Store()
	}
	a, err := newAuthenticator(context.Background(), cfg, ts)
	if err != nil {
		return err
	}
	s.lab = labeling{auth: a, maxBody: cfg.MaxBodyBytes, windows: newWindowCache()}
	return nil
}

// labelingRoutes registers the labeling API's routes.
func (s *Server) labelingRoutes() {
	s.mux.HandleFunc("GET /api/v1/series", s.listSeries)
	s.mux.HandleFunc("GET /api/v1/series/window", s.seriesWindow)
	s.mux.HandleFunc("GET /api/v1/labels", s.listLabels)
	s.mux.HandleFunc("POST /api/v1/labels", s.createLabel)
	s.mux.HandleFunc("GET /api/v1/labels/export", s.exportLabels)
	s.mux.HandleFunc("POST /api/v1/labels/import", s.importLabels)
	s.mux.HandleFunc("GET /api/v1/labels/{id}", s.getLabel)
	s.mux.HandleFunc("PUT /api/v1/labels/{id}", s.putLabel)
	s.mux.HandleFunc("PATCH /api/v1/labels/{id}", s.patchLabel)
	s.mux.HandleFunc("DELETE /api/v1/labels/{id}", s.deleteLabel)
	s.mux.HandleFunc("POST /api/v1/labels/{id}/confirm", s.reviewLabel(store.StatusConfirmed))
	s.mux.HandleFunc("POST /api/v1/labels/{id}/reject", s.reviewLabel(store.StatusRejected))
	s.mux.HandleFunc("GET /api/v1/audit", s.listAudit)
	s.mux.HandleFunc("GET /api/v1/tokens", s.listTokens)
	s.mux.HandleFunc("POST /api/v1/tokens", s.createToken)
	s.mux.HandleFunc("DELETE /api/v1/tokens/{name}", s.deleteToken)
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	s.mux.HandleFunc("GET /api/annotations", s.listAnnotations)
	s.mux.HandleFunc("POST /api/annotations", s.createAnnotation)
	s.mux.HandleFunc("PATCH /api/annotations/{id}", s.patchAnnotation)
	s.mux.HandleFunc("PUT /api/annotations/{id}", s.patchAnnotation)
	s.mux.HandleFunc("DELETE /api/annotations/{id}", s.deleteAnnotation)
	s.mux.HandleFunc("GET /grafana/", s.grafanaTest)
	s.mux.HandleFunc("POST /grafana/metrics", s.grafanaMetrics)
	s.mux.HandleFunc("POST /grafana/search", s.grafanaMetrics)
	s.mux.HandleFunc("POST /grafana/query", s.grafanaQuery)
	s.mux.HandleFunc("POST /grafana/annotations", s.grafanaAnnotations)
}

// ---- errors and bodies ----

// decodeJSON reads r's body as one JSON value into v, refusing unknown
// fields and trailing data. It writes the 400 or 413 itself.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("malformed JSON body: %w", err))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New("malformed JSON body: data after the first value"))
		return false
	}
	return true
}

// readBody reads r's whole body within the size limit, writing 413 when
// it is larger.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Errorf("request body larger than %d bytes (server.max_body_bytes)", tooBig.Limit))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("read body: %w", err))
		return nil, false
	}
	return body, true
}

func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", fmt.Errorf("%s: %w", what, err))
}

// storeError maps the store's sentinel errors to statuses.
func (s *Server) storeError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_data", err)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err)
	default:
		s.internalError(w, what, err)
	}
}

// ---- label JSON ----

// apiTime is a time in a request: RFC 3339, or a number of Unix seconds
// (with fractions) as Prometheus takes them.
type apiTime struct{ time.Time }

// UnmarshalJSON accepts "2026-03-02T09:30:00Z" or 1772443800.
func (t *apiTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := parseTime(s)
		if err != nil {
			return err
		}
		t.Time = v
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return fmt.Errorf("invalid time %s: use RFC 3339 or Unix seconds", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

// seriesField is a series label set in a request: a JSON object of label
// names to values, or a string in Prometheus notation (name{a="b"}).
type seriesField struct {
	labels.Labels
	set bool
}

// UnmarshalJSON accepts {"__name__":"orders","channel":"app"} or
// "orders{channel=\"app\"}".
func (f *seriesField) UnmarshalJSON(b []byte) error {
	f.set = true
	if string(b) == "null" {
		f.Labels = labels.EmptyLabels()
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		ls, err := parseSeries(s)
		if err != nil {
			return err
		}
		f.Labels = ls
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("series must be an object of label names to values, or a string such as orders{channel=\"app\"}")
	}
	ls, err := labelSetOf(m)
	f.Labels = ls
	return err
}

// labelSetOf makes a label set of a JSON object. As in Prometheus, a
// label with an empty value is no label; a name must be UTF-8 and not
// empty.
func labelSetOf(m map[string]string) (labels.Labels, error) {
	b := labels.NewScratchBuilder(len(m))
	for k, v := range m {
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return labels.EmptyLabels(), fmt.Errorf("series: label names must be non-empty UTF-8, got %q", k)
		}
		if v != "" {
			b.Add(k, v)
		}
	}
	b.Sort()
	return b.Labels(), nil
}

// parseSeries reads an exact label set: a JSON object, or a selector
// whose matchers are all equalities ({} or "" is the empty set).
func parseSeries(s string) (labels.Labels, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "{}" {
		return labels.EmptyLabels(), nil
	}
	if strings.HasPrefix(s, "{") && strings.Contains(s, ":") && !strings.Contains(s, "=") {
		var m map[string]string
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return labels.EmptyLabels(), fmt.Errorf("series %q: %w", s, err)
		}
		return labelSetOf(m)
	}
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(s)
	if err != nil {
		return labels.EmptyLabels(), fmt.Errorf("series %q: %w", s, err)
	}
	b := labels.NewScratchBuilder(len(ms))
	for _, m := range ms {
		if m.Type != labels.MatchEqual {
			return labels.EmptyLabels(), fmt.Errorf("series %q: a series is named by equalities only, not %s", s, m)
		}
		if m.Value != "" {
			b.Add(m.Name, m.Value)
		}
	}
	b.Sort()
	return b.Labels(), nil
}

// labelRequest is the body of POST and PUT /api/v1/labels[/{id}], and a
// row of a JSON import. Time sets a point (from = to = time).
type labelRequest struct {
	Monitor string          `json:"monitor"`
	Series  seriesField     `json:"series"`
	Time    apiTime         `json:"time"`
	From    apiTime         `json:"from"`
	To      apiTime         `json:"to"`
	Kind    store.LabelKind `json:"kind"`
	Note    string          `json:"note"`
	Author  string          `json:"author"`
}

// toLabel turns a request into a label; the store validates the rest.
func (q labelRequest) toLabel() (store.Label, error) {
	l := store.Label{Monitor: q.Monitor, Series: q.Series.Labels, From: q.From.Time, To: q.To.Time, Kind: q.Kind, Note: q.Note, Author: q.Author}
	if !q.Time.IsZero() {
		if !q.From.IsZero() || !q.To.IsZero() {
			return l, fmt.Errorf("%w label: give either time (a point) or from and to (a range), not both", store.ErrInvalid)
		}
		l.From, l.To = q.Time.Time, q.Time.Time
	}
	if l.To.IsZero() && !l.From.IsZero() {
		l.To = l.From // a point given as from alone
	}
	return l, nil
}

// errSeriesRequired: a label names its series, or {} for every series of
// the monitor, so that a forgotten field does not label them all.
var errSeriesRequired = fmt.Errorf("%w label: series is required ({} labels every series of the monitor)", store.ErrInvalid)

// ---- checks that need the engine ----

// knownSeries caches the series catalogue per monitor over one request.
type knownSeries map[string]map[string]bool

// checkLabel checks what the store cannot: the monitor exists and the
// series is one of its series (or empty: every series).
func (s *Server) checkLabel(ctx context.Context, l store.Label, known knownSeries) error {
	eng := s.opts.Engine
	if !eng.HasMonitor(l.Monitor) {
		if strings.TrimSpace(l.Monitor) == "" {
			return fmt.Errorf("%w label: monitor is required", store.ErrInvalid)
		}
		return fmt.Errorf("%w label: unknown monitor %q (monitors: %s)", store.ErrInvalid, l.Monitor, strings.Join(eng.Monitors(), ", "))
	}
	if l.Series.IsEmpty() {
		return nil
	}
	set, ok := known[l.Monitor]
	if !ok {
		list, err := eng.Series(ctx, l.Monitor)
		if err != nil {
			return fmt.Errorf("list the series of monitor %q: %w", l.Monitor, err)
		}
		set = map[string]bool{}
		for _, si := range list {
			set[si.Labels.String()] = true
		}
		known[l.Monitor] = set
	}
	if !set[l.Series.String()] {
		return fmt.Errorf("%w label: unknown series %s of monitor %q (GET /api/v1/series?monitor=%s lists them)", store.ErrInvalid, l.Series, l.Monitor, l.Monitor)
	}
	return nil
}

// authorFor settles a new label's author: the caller's name, unless an
// admin imports labels made by someone else.
func authorFor(p principal, given string) (string, error) {
	switch {
	case given == "" || given == p.name:
		return p.name, nil
	case p.role == store.RoleAdmin:
		return given, nil
	}
	return "", fmt.Errorf("%w label: author %q is not you (%s); only an admin may record labels for someone else", store.ErrInvalid, given, p.name)
}

// mayChange reports whether p may edit or delete l: its author, an
// admin, or any labeler for Seismo's own proposals.
func mayChange(p principal, l store.Label) error {
	if p.role == store.RoleAdmin || l.Author == p.name || l.Source == store.SourceAuto {
		return nil
	}
	return fmt.Errorf("label %d is %s's: only its author or an admin may change it", l.ID, l.Author)
}

// labelsChanged tells the engine, so that cached windows are rebuilt.
func (s *Server) labelsChanged(ls ...store.Label) {
	seen := map[string]bool{}
	for _, l := range ls {
		if !seen[l.Monitor] {
			seen[l.Monitor] = true
			s.opts.Engine.LabelsChanged(l.Monitor)
		}
	}
}

// ---- handlers ----

// createLabel serves POST /api/v1/labels.
func (s *Server) createLabel(w http.ResponseWriter, r *http.Request) {
	var req labelRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	l, err := req.toLabel()
	if err == nil && !req.Series.set {
		err = errSeriesRequired
	}
	if err == nil {
		l.Author, err = authorFor(principalOf(r), l.Author)
	}
	if err == nil {
		err = s.checkLabel(r.Context(), l, knownSeries{})
	}
	if err != nil {
		s.storeError(w, "create label", err)
		return
	}
	l.Source, l.Status = store.SourceHuman, store.StatusConfirmed
	created, err := s.opts.Engine.Store().CreateLabels(r.Context(), principalOf(r).name, []store.Label{l})
	if err != nil {
		s.storeError(w, "create label", err)
		return
	}
	s.labelsChanged(created...)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/labels/%d", created[0].ID))
	writeJSON(w, http.StatusCreated, apiResponse{Status: "success", Data: map[string]any{"label": created[0]}})
}

// labelID reads the {id} path value.
func labelID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("label id %q is not a positive integer", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// getLabel serves GET /api/v1/labels/{id}.
func (s *Server) getLabel(w http.ResponseWriter, r *http.Request) {
	id, ok := labelID(w, r)
	if !ok {
		return
	}
	l, err := s.opts.Engine.Store().Label(r.Context(), id)
	if err != nil {
		s.storeError(w, "get label", err)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"label": l}})
}

// existingLabel reads the label of the path and checks the caller may
// change it, writing the error itself.
func (s *Server) existingLabel(w http.ResponseWriter, r *http.Request) (store.Label, bool) {
	id, ok := labelID(w, r)
	if !ok {
		return store.Label{}, false
	}
	l, err := s.opts.Engine.Store().Label(r.Context(), id)
	if err != nil {
		s.storeError(w, "read label", err)
		return store.Label{}, false
	}
	if err := mayChange(principalOf(r), l); err != nil {
		writeError(w, http.StatusForbidden, "forbidden", err)
		return store.Label{}, false
	}
	return l, true
}

// putLabel serves PUT /api/v1/labels/{id}: the label's monitor, series,
// range, kind and note are replaced; its author, source and status stay.
func (s *Server) putLabel(w http.ResponseWriter, r *http.Request) {
	old, ok := s.existingLabel(w, r)
	if !ok {
		return
	}
	var req labelRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	l, err := req.toLabel()
	if err == nil && !req.Series.set {
		err = errSeriesRequired
	}
	if err == nil && req.Author != "" && req.Author != old.Author {
		err = fmt.Errorf("%w label: the author of a label cannot change", store.ErrInvalid)
	}
	s.replaceLabel(w, r, old, l, err)
}

// patchLabel serves PATCH /api/v1/labels/{id}: the fields given replace
// the label's (a JSON merge patch of monitor, series, time, from, to,
// kind and note).
func (s *Server) patchLabel(w http.ResponseWriter, r *http.Request) {
	old, ok := s.existingLabel(w, r)
	if !ok {
		return
	}
	var req labelRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	l := old
	if req.Monitor != "" {
		l.Monitor = req.Monitor
	}
	if req.Series.set {
		l.Series = req.Series.Labels
	}
	if !req.Time.IsZero() {
		l.From, l.To = req.Time.Time, req.Time.Time
	}
	if !req.From.IsZero() {
		l.From = req.From.Time
	}
	if !req.To.IsZero() {
		l.To = req.To.Time
	}
	if req.Kind != "" {
		l.Kind = req.Kind
	}
	if req.Note != "" {
		l.Note = req.Note
	}
	var err error
	if req.Author != "" && req.Author != old.Author {
		err = fmt.Errorf("%w label: the author of a label cannot change", store.ErrInvalid)
	}
	if !req.Time.IsZero() && (!req.From.IsZero() || !req.To.IsZero()) {
		err = fmt.Errorf("%w label: give either time (a point) or from and to (a range), not both", store.ErrInvalid)
	}
	s.replaceLabel(w, r, old, l, err)
}

// replaceLabel stores l in place of old after the engine's checks.
func (s *Server) replaceLabel(w http.ResponseWriter, r *http.Request, old, l store.Label, err error) {
	l.ID, l.Author, l.Source, l.Status, l.CreatedAt = old.ID, old.Author, old.Source, old.Status, old.CreatedAt
	if err == nil {
		err = s.checkLabel(r.Context(), l, knownSeries{})
	}
	if err != nil {
		s.storeError(w, "update label", err)
		return
	}
	updated, err := s.opts.Engine.Store().UpdateLabel(r.Context(), principalOf(r).name, l)
	if err != nil {
		s.storeError(w, "update label", err)
		return
	}
	s.labelsChanged(old, updated)
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"label": updated}})
}

// deleteLabel serves DELETE /api/v1/labels/{id}.
func (s *Server) deleteLabel(w http.ResponseWriter, r *http.Request) {
	old, ok := s.existingLabel(w, r)
	if !ok {
		return
	}
	if err := s.opts.Engine.Store().DeleteLabel(r.Context(), principalOf(r).name, old.ID); err != nil {
		s.storeError(w, "delete label", err)
		return
	}
	s.labelsChanged(old)
	w.WriteHeader(http.StatusNoContent)
}

// reviewLabel serves POST /api/v1/labels/{id}/confirm and .../reject:
// a person's verdict on a label Seismo proposed.
func (s *Server) reviewLabel(status store.LabelStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		old, ok := s.existingLabel(w, r)
		if !ok {
			return
		}
		if old.Source != store.SourceAuto {
			writeError(w, http.StatusConflict, "conflict", fmt.Errorf("label %d was made by a person (%s), not proposed by Seismo: edit or delete it instead", old.ID, old.Author))
			return
		}
		l := old
		l.Status = status
		updated, err := s.opts.Engine.Store().UpdateLabel(r.Context(), principalOf(r).name, l)
		if err != nil {
			s.storeError(w, "review label", err)
			return
		}
		s.labelsChanged(updated)
		writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"label": updated}})
	}
}

// parseLabelFilter reads the label filters of a query string.
func parseLabelFilter(r *http.Request) (store.LabelFilter, error) {
	q := r.URL.Query()
	var f store.LabelFilter
	var err error
	f.Monitor = q.Get("monitor")
	if v := q.Get("series"); v != "" {
		ls, err := parseSeries(v)
		if err != nil {
			return f, err
		}
		f.Series = &ls
	}
	for _, m := range q["match[]"] {
		ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(m)
		if err != nil {
			return f, fmt.Errorf("match[] %q: %w", m, err)
		}
		f.Matchers = append(f.Matchers, ms...)
	}
	if f.From, err = parseTime(q.Get("from")); err != nil {
		return f, fmt.Errorf("from: %w", err)
	}
	if f.To, err = parseTime(q.Get("to")); err != nil {
		return f, fmt.Errorf("to: %w", err)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, errors.New("to is before from")
	}
	for _, k := range q["kind"] {
		if !store.LabelKind(k).Valid() {
			return f, fmt.Errorf("unknown kind %q (want anomaly, noise or normal)", k)
		}
		f.Kinds = append(f.Kinds, store.LabelKind(k))
	}
	for _, st := range q["status"] {
		if !store.LabelStatus(st).Valid() {
			return f, fmt.Errorf("unknown status %q (want proposed, confirmed or rejected)", st)
		}
		f.Statuses = append(f.Statuses, store.LabelStatus(st))
	}
	if src := q.Get("source"); src != "" {
		if !store.LabelSource(src).Valid() {
			return f, fmt.Errorf("unknown source %q (want human or auto)", src)
		}
		f.Source = store.LabelSource(src)
	}
	f.Author = q.Get("author")
	if v := q.Get("after_id"); v != "" {
		if f.AfterID, err = strconv.ParseInt(v, 10, 64); err != nil || f.AfterID < 0 {
			return f, fmt.Errorf("after_id %q is not a non-negative integer", v)
		}
	}
	f.Limit, err = queryLimit(q, 0, store.MaxLabelLimit) // 0: the store's default
	return f, err
}

// listLabels serves GET /api/v1/labels.
func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	f, err := parseLabelFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	ls, err := s.opts.Engine.Store().Labels(r.Context(), f)
	if err != nil {
		s.internalError(w, "list labels", err)
		return
	}
	if ls == nil {
		ls = []store.Label{}
	}
	data := map[string]any{"labels": ls}
	if lim := f.Limit; (lim > 0 && len(ls) == lim) || (lim == 0 && len(ls) == store.DefaultLabelLimit) {
		data["next_after_id"] = ls[len(ls)-1].ID
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: data})
}

// listAudit serves GET /api/v1/audit (admin).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f store.AuditFilter
	var err error
	bad := func(err error) { writeError(w, http.StatusBadRequest, "bad_data", err) }
	if f.From, err = parseTime(q.Get("from")); err != nil {
		bad(fmt.Errorf("from: %w", err))
		return
	}
	if f.To, err = parseTime(q.Get("to")); err != nil {
		bad(fmt.Errorf("to: %w", err))
		return
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		bad(errors.New("to is before from"))
		return
	}
	f.Actor = q.Get("actor")
	for name, dst := range map[string]*int64{"label_id": &f.LabelID, "before_id": &f.BeforeID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				bad(fmt.Errorf("%s %q is not a non-negative integer", name, v))
				return
			}
		}
	}
	if f.Limit, err = queryLimit(q, 0, store.MaxLimit); err != nil { // 0: the store's default
		bad(err)
		return
	}
	entries, err := s.opts.Engine.Store().Audit(r.Context(), f)
	if err != nil {
		s.internalError(w, "list audit", err)
		return
	}
	if entries == nil {
		entries = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"entries": entries}})
}

// compile-time check that the engine offers what the labeling API uses.
var _ interface {
	HasMonitor(string) bool
	LabelsChanged(string)
	ServerConfig() config.Server
} = (*engine.Engine)(nil)
