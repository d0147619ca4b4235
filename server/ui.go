package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

//go:embed ui/index.html
var uiFiles embed.FS

var indexTemplate = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"fmtTime": func(t time.Time) string { return t.Format(time.DateTime) },
}).ParseFS(uiFiles, "ui/index.html"))

// uiEventLimit is how many events the front page lists.
const uiEventLimit = 200

type uiEvent struct {
	Time, Job, Labels, Value, Expected, Band, Score string
}

type uiPage struct {
	Version string
	Now     string
	Zone    string
	Loc     *time.Location
	Jobs    []engine.JobStatus
	Alerts  []*alert.Alert
	Events  []uiEvent
	Total   int
}

// index serves the web UI: jobs, alerts and the newest events.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	events, err := s.opts.Engine.Store().Events(r.Context(), store.EventFilter{Limit: uiEventLimit})
	if err != nil {
		s.log.Error("ui: list events", "err", err)
		http.Error(w, "cannot list events: "+err.Error(), http.StatusInternalServerError)
		return
	}
	loc := s.opts.Engine.Location()
	page := uiPage{
		Version: s.opts.Version,
		Now:     time.Now().In(loc).Format(time.DateTime),
		Zone:    loc.String(),
		Loc:     loc,
		Jobs:    s.opts.Engine.Jobs(),
		Alerts:  s.opts.Engine.Alerts().Alerts(),
		Total:   len(events),
	}
	for _, e := range events {
		page.Events = append(page.Events, uiEvent{
			Time:     e.Time.In(loc).Format(time.DateTime),
			Job:      e.Job,
			Labels:   e.Labels.String(),
			Value:    fmt.Sprintf("%.4g", e.Value),
			Expected: fmt.Sprintf("%.4g", e.Expected),
			Band:     fmt.Sprintf("%.4g … %.4g", e.Lower, e.Upper),
			Score:    fmt.Sprintf("%.2f", e.Score),
		})
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, page); err != nil {
		s.log.Error("ui: render", "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
