package server

// Bulk label import and export: JSON, CSV and NAB's windows format.
//
// NAB (the Numenta Anomaly Benchmark) keeps its labels as a JSON object
// from data file to anomaly windows, [["2014-04-10 07:15:00.000000",
// "2014-04-11 16:45:00.000000"], ...] (combined_windows.json), or to
// points ("combined_labels.json"). A file is not a Seismo series, so an
// import maps each file to one: ?series= when the object has one file,
// or ?map=<file>=<series> once per file.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/store"
)

// MaxImportRows caps one import: larger sets go in several requests.
const MaxImportRows = 100_000

// nabTime is NAB's timestamp layout (UTC).
const nabTime = "2006-01-02 15:04:05.000000"

// csvHeader is the column order of a CSV export; an import takes any
// order of any of these columns (series, kind and from or time required,
// monitor unless ?monitor= is given).
var csvHeader = []string{"id", "monitor", "series", "from", "to", "kind", "author", "note", "source", "status", "created_at", "updated_at"}

// importLabels serves POST /api/v1/labels/import?format=json|csv|nab.
// Every row is checked before any is stored, and all are stored in one
// transaction: an import is all or nothing.
func (s *Server) importLabels(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var (
		rows []labelRequest
		err  error
	)
	switch format := q.Get("format"); format {
	case "json", "":
		rows, err = parseJSONImport(body)
	case "csv":
		rows, err = parseCSVImport(body)
	case "nab":
		rows, err = parseNABImport(body, q["series"], q["map"])
	default:
		err = fmt.Errorf("unknown format %q (want json, csv or nab)", format)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	if len(rows) == 0 {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New("nothing to import"))
		return
	}
	if len(rows) > MaxImportRows {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("%d labels in one import, at most %d", len(rows), MaxImportRows))
		return
	}
	defKind := store.LabelKind(q.Get("kind"))
	if defKind == "" {
		defKind = store.LabelAnomaly
	}
	p := principalOf(r)
	known := knownSeries{}
	ls := make([]store.Label, 0, len(rows))
	for i, row := range rows {
		if row.Monitor == "" {
			row.Monitor = q.Get("monitor")
		}
		if row.Kind == "" {
			row.Kind = defKind
		}
		l, err := row.toLabel()
		if err == nil && !row.Series.set {
			err = errSeriesRequired
		}
		if err == nil {
			l.Author, err = authorFor(p, l.Author)
		}
		if err == nil {
			l.Source, l.Status = store.SourceHuman, store.StatusConfirmed
			err = l.Validate()
		}
		if err == nil {
			err = s.checkLabel(r.Context(), l, known)
		}
		if err != nil {
			if errors.Is(err, store.ErrInvalid) {
				writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("row %d: %w; nothing was imported", i+1, err))
			} else {
				s.internalError(w, "import labels", err)
			}
			return
		}
		ls = append(ls, l)
	}
	created, err := s.opts.Engine.Store().CreateLabels(r.Context(), p.name, ls)
	if err != nil {
		s.storeError(w, "import labels", err)
		return
	}
	s.labelsChanged(created...)
	ids := make([]int64, len(created))
	for i, l := range created {
		ids[i] = l.ID
	}
	writeJSON(w, http.StatusCreated, apiResponse{Status: "success", Data: map[string]any{"imported": len(created), "ids": ids}})
}

func parseJSONImport(body []byte) ([]labelRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var rows []labelRequest
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("malformed JSON import (want an array of labels): %w", err)
	}
	if dec.More() {
		return nil, errors.New("malformed JSON import: data after the array")
	}
	return rows, nil
}

func parseCSVImport(body []byte) ([]labelRequest, error) {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV import: header: %w", err)
	}
	col := map[string]int{}
	known := strings.Join(append(csvHeader, "time"), ", ")
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !strings.Contains(", "+known+",", ", "+h+",") {
			return nil, fmt.Errorf("CSV import: unknown column %q (known: %s)", h, known)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("CSV import: column %q twice", h)
		}
		col[h] = i
	}
	if _, ok := col["series"]; !ok {
		return nil, errors.New("CSV import: a series column is required")
	}
	var rows []labelRequest
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("CSV import: %w", err)
		}
		if len(rows) >= MaxImportRows {
			return nil, fmt.Errorf("CSV import: more than %d rows", MaxImportRows)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := labelRequest{Monitor: get("monitor"), Kind: store.LabelKind(get("kind")), Note: get("note"), Author: get("author")}
		ls, err := parseSeries(get("series"))
		if err != nil {
			return nil, fmt.Errorf("CSV import: line %d: %w", line, err)
		}
		row.Series = seriesField{Labels: ls, set: true}
		for name, dst := range map[string]*apiTime{"from": &row.From, "to": &row.To, "time": &row.Time} {
			if v := get(name); v != "" {
				t, err := parseTime(v)
				if err != nil {
					return nil, fmt.Errorf("CSV import: line %d: %s: %w", line, name, err)
				}
				dst.Time = t
			}
		}
		rows = append(rows, row)
	}
}

// parseNABImport reads NAB's windows (or point labels) and maps each
// file to a series.
func parseNABImport(body []byte, seriesParam, mapParam []string) ([]labelRequest, error) {
	var files map[string][]json.RawMessage
	if err := json.Unmarshal(body, &files); err != nil {
		return nil, fmt.Errorf("malformed NAB labels (want {\"file.csv\": [[\"from\", \"to\"], ...]}): %w", err)
	}
	mapping := map[string]labels.Labels{}
	for _, m := range mapParam {
		file, sel, ok := strings.Cut(m, "=")
		if !ok || file == "" {
			return nil, fmt.Errorf("map %q: want <file>=<series>", m)
		}
		ls, err := parseSeries(sel)
		if err != nil {
			return nil, fmt.Errorf("map %q: %w", m, err)
		}
		mapping[file] = ls
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	if len(seriesParam) > 0 {
		if len(files) != 1 || len(mapParam) > 0 {
			return nil, fmt.Errorf("series= maps a single file; these labels have %d files: use map=<file>=<series> for each", len(files))
		}
		ls, err := parseSeries(seriesParam[0])
		if err != nil {
			return nil, err
		}
		mapping[names[0]] = ls
	}
	var rows []labelRequest
	for _, f := range names {
		ls, ok := mapping[f]
		if !ok {
			return nil, fmt.Errorf("file %q has no series: add map=%s=<series>", f, f)
		}
		for i, raw := range files[f] {
			var pair []string
			var point string
			row := labelRequest{Series: seriesField{Labels: ls, set: true}, Note: "NAB " + f}
			switch {
			case json.Unmarshal(raw, &pair) == nil && len(pair) == 2:
				from, err1 := parseNABTime(pair[0])
				to, err2 := parseNABTime(pair[1])
				if err := errors.Join(err1, err2); err != nil {
					return nil, fmt.Errorf("%s window %d: %w", f, i+1, err)
				}
				row.From, row.To = apiTime{from}, apiTime{to}
			case json.Unmarshal(raw, &point) == nil:
				t, err := parseNABTime(point)
				if err != nil {
					return nil, fmt.Errorf("%s label %d: %w", f, i+1, err)
				}
				row.Time = apiTime{t}
			default:
				return nil, fmt.Errorf("%s entry %d: want [\"from\", \"to\"] or a timestamp, got %s", f, i+1, raw)
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// parseNABTime reads NAB's "2014-04-10 07:15:00.000000" (UTC), or RFC 3339.
func parseNABTime(s string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want NAB's 2014-04-10 07:15:00.000000 or RFC 3339", s)
}

// exportLabels serves GET /api/v1/labels/export?format=json|csv|nab with
// the filters of GET /api/v1/labels (every matching label, not one page).
// NAB's format holds anomaly windows only: confirmed anomaly labels,
// keyed by the series (?key=series, the default) or by one of its labels
// (?key=label:<name>).
func (s *Server) exportLabels(w http.ResponseWriter, r *http.Request) {
	f, err := parseLabelFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	format := r.URL.Query().Get("format")
	keyBy := r.URL.Query().Get("key")
	if format == "nab" {
		f.Kinds = []store.LabelKind{store.LabelAnomaly}
		f.Statuses = []store.LabelStatus{store.StatusConfirmed}
		if keyBy != "" && keyBy != "series" && !strings.HasPrefix(keyBy, "label:") {
			writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("key %q: want series or label:<name>", keyBy))
			return
		}
	}
	if f.Limit == 0 {
		f.Limit = store.MaxLabelLimit
	}
	ls, err := s.opts.Engine.Store().Labels(r.Context(), f)
	if err != nil {
		s.internalError(w, "export labels", err)
		return
	}
	switch format {
	case "json", "":
		if ls == nil {
			ls = []store.Label{}
		}
		w.Header().Set("Content-Disposition", `attachment; filename="labels.json"`)
		writeJSON(w, http.StatusOK, ls)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="labels.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write(csvHeader)
		for _, l := range ls {
			_ = cw.Write([]string{
				strconv.FormatInt(l.ID, 10), l.Monitor, l.Series.String(),
				l.From.Format(time.RFC3339Nano), l.To.Format(time.RFC3339Nano), string(l.Kind), l.Author, l.Note,
				string(l.Source), string(l.Status), l.CreatedAt.Format(time.RFC3339Nano), l.UpdatedAt.Format(time.RFC3339Nano),
			})
		}
		cw.Flush()
	case "nab":
		out := map[string][][2]string{}
		for _, l := range ls {
			key := l.Series.String()
			if name, ok := strings.CutPrefix(keyBy, "label:"); ok {
				key = l.Series.Get(name)
			}
			out[key] = append(out[key], [2]string{l.From.UTC().Format(nabTime), l.To.UTC().Format(nabTime)})
		}
		w.Header().Set("Content-Disposition", `attachment; filename="labels_nab.json"`)
		writeJSON(w, http.StatusOK, out)
	default:
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("unknown format %q (want json, csv or nab)", format))
	}
}
