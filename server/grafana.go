package server

// Grafana. Two doors:
//
//   - /api/annotations speaks the shape of Grafana's own annotation HTTP
//     API (id, time, timeEnd in Unix ms, tags, text): GET lists Seismo's
//     labels and events as annotations — what Grafana's Infinity or JSON
//     API datasources read as an annotation query — and POST, PATCH, PUT
//     and DELETE create and change labels, so that a script or panel link
//     that writes Grafana annotations can write Seismo labels.
//   - /grafana/ is a "JSON" (SimpleJSON protocol) datasource: metrics to
//     pick a series, query for its value, expected value and band, and
//     annotations for its labels and events.
//
// Tags carry the label's meaning: seismo:<kind> (anomaly, noise, normal)
// or seismo:event, monitor:<name>, series:<label set>, one <name>:<value>
// per series label, and status:, source:, author:, detector:.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// annotationJSON is an annotation in Grafana's shape. Labels keep their
// ID; events get the negative of theirs, so that the two never clash and
// a write to an event's annotation is refused.
type annotationJSON struct {
	ID           int64    `json:"id"`
	Time         int64    `json:"time"`
	TimeEnd      int64    `json:"timeEnd"`
	Tags         []string `json:"tags"`
	Text         string   `json:"text"`
	Title        string   `json:"title,omitempty"`
	DashboardUID string   `json:"dashboardUID,omitempty"`
	PanelID      int64    `json:"panelId,omitempty"`
	Login        string   `json:"login,omitempty"`
}

// Tag prefixes Seismo gives meaning to; other name:value tags are series
// labels.
var reservedTags = []string{"seismo", "monitor", "series", "status", "source", "author", "detector"}

func reserved(name string) bool { return slices.Contains(reservedTags, name) }

func labelAnnotation(l store.Label) annotationJSON {
	tags := []string{"seismo:" + string(l.Kind), "monitor:" + l.Monitor, "series:" + l.Series.String(),
		"status:" + string(l.Status), "source:" + string(l.Source), "author:" + l.Author}
	tags = append(tags, seriesTags(l.Series)...)
	text := fmt.Sprintf("%s (%s, %s)", l.Kind, l.Author, l.Status)
	if l.Note != "" {
		text = l.Note + " — " + text
	}
	return annotationJSON{ID: l.ID, Time: l.From.UnixMilli(), TimeEnd: l.To.UnixMilli(), Tags: tags, Text: text, Title: "label: " + string(l.Kind), Login: l.Author}
}

func eventAnnotation(ev alert.Event) annotationJSON {
	tags := []string{"seismo:event", "monitor:" + ev.Job, "detector:" + ev.Detector}
	tags = append(tags, seriesTags(ev.Labels)...)
	text := ev.Annotations["summary"]
	if text == "" {
		text = fmt.Sprintf("%s: %.4g (expected %.4g)", ev.Kind, ev.Value, ev.Expected)
	}
	ms := ev.Time.UnixMilli()
	return annotationJSON{ID: -ev.ID, Time: ms, TimeEnd: ms, Tags: tags, Text: text, Title: "event: " + string(ev.Kind)}
}

func seriesTags(ls labels.Labels) []string {
	var out []string
	ls.Range(func(l labels.Label) {
		if !reserved(l.Name) {
			out = append(out, l.Name+":"+l.Value)
		}
	})
	return out
}

// hasTags reports whether have holds all of want (any, with matchAny).
func hasTags(have, want []string, matchAny bool) bool {
	if len(want) == 0 {
		return true
	}
	for _, t := range want {
		if slices.Contains(have, t) {
			if matchAny {
				return true
			}
		} else if !matchAny {
			return false
		}
	}
	return !matchAny
}

// annotationLimit is the default and the cap of annotations per request.
const (
	annotationLimit    = 100
	maxAnnotationLimit = 10000
)

// listAnnotations serves GET /api/annotations?from=&to=&tags=&limit=&type=&matchAny=&monitor=.
// from and to are Unix milliseconds, as Grafana sends them; type is
// annotation (labels only), alert (events only) or empty (both).
func (s *Server) listAnnotations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := msRange(q.Get("from"), q.Get("to"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	limit, err := queryLimit(q, annotationLimit, maxAnnotationLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	var tags []string
	for _, t := range q["tags"] {
		for _, part := range strings.Split(t, ",") {
			if part = strings.TrimSpace(part); part != "" {
				tags = append(tags, part)
			}
		}
	}
	matchAny := q.Get("matchAny") == "true"
	monitor := q.Get("monitor")
	typ := q.Get("type")
	if typ != "" && typ != "annotation" && typ != "alert" {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("type %q: want annotation or alert", typ))
		return
	}
	out, err := s.annotations(r, from, to, monitor, typ, tags, matchAny, limit)
	if err != nil {
		s.internalError(w, "list annotations", err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// annotations lists labels and events in [from, to] as annotations,
// newest first, up to limit.
func (s *Server) annotations(r *http.Request, from, to time.Time, monitor, typ string, tags []string, matchAny bool, limit int) ([]annotationJSON, error) {
	for _, t := range tags {
		if m, ok := strings.CutPrefix(t, "monitor:"); ok && !matchAny {
			monitor = m
		}
	}
	out := []annotationJSON{}
	if typ != "alert" {
		ls, err := s.opts.Engine.Store().Labels(r.Context(), store.LabelFilter{Monitor: monitor, From: from, To: to, Limit: store.MaxLabelLimit})
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if a := labelAnnotation(l); hasTags(a.Tags, tags, matchAny) {
				out = append(out, a)
			}
		}
	}
	if typ != "annotation" {
		evs, err := s.opts.Engine.Store().Events(r.Context(), store.EventFilter{Job: monitor, From: from, To: to, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if a := eventAnnotation(ev); hasTags(a.Tags, tags, matchAny) {
				out = append(out, a)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time > out[j].Time })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// msRange reads Grafana's from and to (Unix ms; RFC 3339 also taken).
func msRange(fromS, toS string) (from, to time.Time, err error) {
	parse := func(s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
		return parseTime(s)
	}
	if from, err = parse(fromS); err != nil {
		return from, to, fmt.Errorf("from: %w", err)
	}
	if to, err = parse(toS); err != nil {
		return from, to, fmt.Errorf("to: %w", err)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, errors.New("to is before from")
	}
	return from, to, nil
}

// annotationRequest is the body of POST and PATCH /api/annotations.
type annotationRequest struct {
	Time         *int64   `json:"time"`
	TimeEnd      *int64   `json:"timeEnd"`
	Tags         []string `json:"tags"`
	Text         *string  `json:"text"`
	DashboardUID string   `json:"dashboardUID"`
	DashboardID  int64    `json:"dashboardId"`
	PanelID      int64    `json:"panelId"`
}

// fromTags applies the tags of an annotation to l: monitor:, seismo:<kind>,
// and the series (series:<label set>, or name:value tags). It reports
// whether the tags named a series.
func fromTags(l *store.Label, tags []string) (seriesGiven bool, err error) {
	b := labels.NewScratchBuilder(len(tags))
	pairs := false
	for _, t := range tags {
		name, value, ok := strings.Cut(t, ":")
		if !ok {
			return false, fmt.Errorf("%w annotation: tag %q is not name:value", store.ErrInvalid, t)
		}
		switch name {
		case "monitor":
			l.Monitor = value
		case "seismo":
			l.Kind = store.LabelKind(value)
		case "series":
			ls, err := parseSeries(value)
			if err != nil {
				return false, fmt.Errorf("%w annotation: %w", store.ErrInvalid, err)
			}
			l.Series, seriesGiven = ls, true
		case "status", "source", "author", "detector":
			// Set by Seismo; ignored on the way in.
		default:
			b.Add(name, value)
			pairs = true
		}
	}
	if pairs && !seriesGiven {
		b.Sort()
		l.Series, seriesGiven = b.Labels(), true
	}
	return seriesGiven, nil
}

// createAnnotation serves POST /api/annotations: a label from Grafana.
// The tags must name the monitor (monitor:<name>) and the series
// (series:<label set>, series:{} for all, or name:value tags); seismo:<kind>
// sets the kind (anomaly by default); text is the note.
func (s *Server) createAnnotation(w http.ResponseWriter, r *http.Request) {
	var req annotationRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	l := store.Label{Kind: store.LabelAnomaly}
	seriesGiven, err := fromTags(&l, req.Tags)
	switch {
	case err != nil:
	case req.Time == nil:
		err = fmt.Errorf("%w annotation: time is required", store.ErrInvalid)
	case !seriesGiven:
		err = fmt.Errorf("%w annotation: name the series with a series:<label set> tag (series:{} for every series) or name:value tags", store.ErrInvalid)
	}
	if err == nil {
		l.From = time.UnixMilli(*req.Time).UTC()
		l.To = l.From
		if req.TimeEnd != nil && *req.TimeEnd != 0 {
			l.To = time.UnixMilli(*req.TimeEnd).UTC()
		}
		if req.Text != nil {
			l.Note = *req.Text
		}
		l.Author = principalOf(r).name
		l.Source, l.Status = store.SourceHuman, store.StatusConfirmed
		err = s.checkLabel(r.Context(), l, knownSeries{})
	}
	if err != nil {
		s.storeError(w, "create annotation", err)
		return
	}
	created, err := s.opts.Engine.Store().CreateLabels(r.Context(), principalOf(r).name, []store.Label{l})
	if err != nil {
		s.storeError(w, "create annotation", err)
		return
	}
	s.labelsChanged(created...)
	writeJSON(w, http.StatusOK, map[string]any{"id": created[0].ID, "message": "Annotation added"})
}

// annotationLabel reads the label behind /api/annotations/{id}.
func (s *Server) annotationLabel(w http.ResponseWriter, r *http.Request) (store.Label, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("annotation id %q is not an integer", r.PathValue("id")))
		return store.Label{}, false
	case id < 0:
		writeError(w, http.StatusForbidden, "forbidden", errors.New("annotation is one of Seismo's events, which cannot be changed; label it instead"))
		return store.Label{}, false
	}
	r.SetPathValue("id", strconv.FormatInt(id, 10))
	return s.existingLabel(w, r)
}

// patchAnnotation serves PATCH and PUT /api/annotations/{id}: the time,
// timeEnd, text and tags given change the label.
func (s *Server) patchAnnotation(w http.ResponseWriter, r *http.Request) {
	old, ok := s.annotationLabel(w, r)
	if !ok {
		return
	}
	var req annotationRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	l := old
	var err error
	if req.Tags != nil {
		_, err = fromTags(&l, req.Tags)
	}
	if req.Time != nil {
		l.From = time.UnixMilli(*req.Time).UTC()
		if req.TimeEnd == nil {
			l.To = l.From.Add(old.To.Sub(old.From))
		}
	}
	if req.TimeEnd != nil {
		l.To = time.UnixMilli(*req.TimeEnd).UTC()
	}
	if req.Text != nil {
		l.Note = *req.Text
	}
	l.ID, l.Author, l.Source, l.Status, l.CreatedAt = old.ID, old.Author, old.Source, old.Status, old.CreatedAt
	if err == nil {
		err = s.checkLabel(r.Context(), l, knownSeries{})
	}
	if err != nil {
		s.storeError(w, "update annotation", err)
		return
	}
	if _, err := s.opts.Engine.Store().UpdateLabel(r.Context(), principalOf(r).name, l); err != nil {
		s.storeError(w, "update annotation", err)
		return
	}
	s.labelsChanged(old, l)
	writeJSON(w, http.StatusOK, map[string]any{"message": "Annotation patched"})
}

// deleteAnnotation serves DELETE /api/annotations/{id}.
func (s *Server) deleteAnnotation(w http.ResponseWriter, r *http.Request) {
	old, ok := s.annotationLabel(w, r)
	if !ok {
		return
	}
	if err := s.opts.Engine.Store().DeleteLabel(r.Context(), principalOf(r).name, old.ID); err != nil {
		s.storeError(w, "delete annotation", err)
		return
	}
	s.labelsChanged(old)
	writeJSON(w, http.StatusOK, map[string]any{"message": "Annotation deleted"})
}

// ---- the JSON datasource ----

// grafanaTest serves GET /grafana/, the datasource's connection test.
func (s *Server) grafanaTest(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/grafana/" {
		writeError(w, http.StatusNotFound, "not_found", fmt.Errorf("no route %s", r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// grafanaTarget names a series for the datasource: "<monitor> <label set>".
func grafanaTarget(si engine.SeriesInfo) string { return si.Monitor + " " + si.Labels.String() }

func parseGrafanaTarget(t string) (string, labels.Labels, error) {
	monitor, sel, ok := strings.Cut(strings.TrimSpace(t), " ")
	if !ok {
		return "", labels.EmptyLabels(), fmt.Errorf("target %q: want \"<monitor> <label set>\" as /grafana/metrics lists them", t)
	}
	ls, err := parseSeries(sel)
	return monitor, ls, err
}

// grafanaMetrics serves POST /grafana/metrics and /grafana/search: every
// series of every monitor as a target.
func (s *Server) grafanaMetrics(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Target string `json:"target"`
		Metric string `json:"metric"`
	}
	if body, ok := s.readBody(w, r); !ok {
		return
	} else if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("malformed JSON body: %w", err))
			return
		}
	}
	list, err := s.opts.Engine.Series(r.Context(), "")
	if err != nil {
		s.internalError(w, "grafana metrics", err)
		return
	}
	filter := req.Target + req.Metric
	if strings.HasSuffix(r.URL.Path, "/search") {
		out := []string{}
		for _, si := range list {
			if t := grafanaTarget(si); strings.Contains(t, filter) {
				out = append(out, t)
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	type metric struct {
		Label string `json:"label"`
		Value string `json:"value"`
	}
	out := []metric{}
	for _, si := range list {
		if t := grafanaTarget(si); strings.Contains(t, filter) {
			out = append(out, metric{Label: t, Value: t})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeGrafanaJSON reads a datasource request's body into v. Grafana
// sends more fields than Seismo reads, so unlike decodeJSON it ignores
// unknown fields. It writes the 400 or 413 itself.
func (s *Server) decodeGrafanaJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("malformed JSON body: %w", err))
		return false
	}
	return true
}

// grafanaRange is the datasource's time range.
type grafanaRange struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// grafanaQuery serves POST /grafana/query: for each target its value,
// expected value, lower and upper band as four time series of
// [value, unix ms] pairs, thinned to maxDataPoints.
func (s *Server) grafanaQuery(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Range         grafanaRange `json:"range"`
		MaxDataPoints int          `json:"maxDataPoints"`
		Targets       []struct {
			Target string          `json:"target"`
			RefID  string          `json:"refId"`
			Hide   bool            `json:"hide"`
			Type   string          `json:"type"`
			Data   json.RawMessage `json:"data"`
		} `json:"targets"`
	}
	if !s.decodeGrafanaJSON(w, r, &req) {
		return
	}
	type tsJSON struct {
		Target     string      `json:"target"`
		Datapoints [][2]any    `json:"datapoints"`
		Tags       interface{} `json:"tags,omitempty"`
	}
	out := []tsJSON{}
	for _, t := range req.Targets {
		if t.Hide || t.Target == "" {
			continue
		}
		monitor, ls, err := parseGrafanaTarget(t.Target)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_data", err)
			return
		}
		win, err := s.opts.Engine.SeriesWindow(r.Context(), engine.WindowQuery{Monitor: monitor, Series: ls, From: req.Range.From, To: req.Range.To})
		if s.windowFailed(w, "grafana query", err) {
			return
		}
		every := 1
		if req.MaxDataPoints > 0 && len(win.Times) > req.MaxDataPoints {
			every = (len(win.Times) + req.MaxDataPoints - 1) / req.MaxDataPoints
		}
		for _, col := range []struct {
			name string
			v    []float64
		}{{"value", win.Values}, {"expected", win.Expected}, {"lower", win.Lower}, {"upper", win.Upper}} {
			ts := tsJSON{Target: t.Target + " " + col.name, Datapoints: make([][2]any, 0, len(win.Times)/every+1)}
			for i := 0; i < len(win.Times); i += every {
				var v any
				if f := col.v[i]; f == f && f-f == 0 { // finite: NaN and ±Inf become null
					v = f
				}
				ts.Datapoints = append(ts.Datapoints, [2]any{v, win.Times[i]})
			}
			out = append(out, ts)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// grafanaAnnotations serves POST /grafana/annotations: labels and events
// in the range, filtered by the annotation query's tags (space or comma
// separated, all required).
func (s *Server) grafanaAnnotations(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Range      grafanaRange    `json:"range"`
		Annotation json.RawMessage `json:"annotation"`
	}
	if !s.decodeGrafanaJSON(w, r, &req) {
		return
	}
	var ann struct {
		Query string `json:"query"`
	}
	if len(req.Annotation) > 0 {
		_ = json.Unmarshal(req.Annotation, &ann) // a query-less annotation lists everything
	}
	tags := strings.FieldsFunc(ann.Query, func(r rune) bool { return r == ',' || r == ' ' })
	list, err := s.annotations(r, req.Range.From, req.Range.To, "", "", tags, false, maxAnnotationLimit)
	if err != nil {
		s.internalError(w, "grafana annotations", err)
		return
	}
	type simpleAnnotation struct {
		Annotation json.RawMessage `json:"annotation,omitempty"`
		Time       int64           `json:"time"`
		TimeEnd    int64           `json:"timeEnd"`
		IsRegion   bool            `json:"isRegion"`
		Title      string          `json:"title"`
		Text       string          `json:"text"`
		Tags       []string        `json:"tags"`
	}
	out := make([]simpleAnnotation, 0, len(list))
	for _, a := range list {
		out = append(out, simpleAnnotation{Annotation: req.Annotation, Time: a.Time, TimeEnd: a.TimeEnd, IsRegion: a.TimeEnd > a.Time, Title: a.Title, Text: a.Text, Tags: a.Tags})
	}
	writeJSON(w, http.StatusOK, out)
}
