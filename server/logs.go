package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/seismo-dev/seismo/engine"
)

// listLogTemplates serves GET /api/v1/logs/{stream}/templates?from=&to=:
// the stream's templates with their counts over the range (range_count;
// the whole history when from and to are absent), the most frequent
// first, each with its total count, first and last sighting, masked
// examples and whether it is still new.
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
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"stream": stream, "templates": ts}})
}
