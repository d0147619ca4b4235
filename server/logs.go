package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/logpattern"
)

// listLogTemplates serves GET /api/v1/logs/{stream}/templates?from=&to=:
// the stream's templates with their counts over the range (range_count;
// the whole history when from and to are absent), the most frequent
// first, each with its total count, first and last sighting, masked
// examples and whether it is still new. With similarity=L (in [0, 1]) it
// also returns the templates grouped at that similarity (granularity at
// query time; see logpattern.CoarsenTemplates).
func (s *Server) listLogTemplates(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := parseTime(q.Get("from"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("from: %w", err))
		return
	}
	to, err := parseTime(q.Get("to"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("to: %w", err))
		return
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New("to is before from"))
		return
	}
	var level *float64
	if v := q.Get("similarity"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("similarity must be a number in [0, 1], got %q", v))
			return
		}
		level = &f
	}
	stream := r.PathValue("stream")
	ts, err := s.opts.Engine.LogTemplates(r.Context(), stream, from, to)
	switch {
	case errors.Is(err, engine.ErrUnknownStream):
		writeError(w, http.StatusNotFound, "not_found", err)
		return
	case err != nil:
		s.log.Error("list log templates", "stream", stream, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", fmt.Errorf("list log templates: %w", err))
		return
	}
	if ts == nil {
		ts = []engine.LogTemplate{}
	}
	data := map[string]any{"stream": stream, "templates": ts}
	if level != nil {
		// The same templates, coarser: groups by similarity, counted over
		// the range, for streams whose right granularity is coarser than
		// the miner's.
		items := make([]logpattern.Template, len(ts))
		for i, t := range ts {
			items[i] = logpattern.Template{ID: t.ID, Template: t.Template, Count: uint64(max(t.RangeCount, 0))}
		}
		groups := logpattern.CoarsenTemplates(items, *level)
		if groups == nil {
			groups = []logpattern.TemplateGroup{}
		}
		data["similarity"] = *level
		data["groups"] = groups
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: data})
}
