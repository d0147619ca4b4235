package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/rules/check"
	"github.com/seismo-dev/seismo/store"
)

// Limits on the check endpoints' lists.
const (
	defaultCheckRunsLimit = 20
	defaultDiffLimit      = 100
)

// checkRoutes registers the consistency check endpoints.
func (s *Server) checkRoutes() {
	s.mux.HandleFunc("GET /api/v1/checks", s.listChecks)
	s.mux.HandleFunc("GET /api/v1/checks/{name}/runs", s.listCheckRuns)
	s.mux.HandleFunc("GET /api/v1/checks/{name}/runs/{id}/differences", s.listCheckDifferences)
}

// checkRunJSON is a run as the API shows it.
type checkRunJSON struct {
	store.CheckRun
	DurationSeconds float64 `json:"duration_seconds"`
}

func runJSON(r store.CheckRun) checkRunJSON {
	return checkRunJSON{CheckRun: r, DurationSeconds: r.Duration.Seconds()}
}

// checkJSON is a configured check with its newest run.
type checkJSON struct {
	engine.CheckInfo
	LastRun *checkRunJSON `json:"last_run"`
}

// listChecks serves GET /api/v1/checks: every configured check with its
// newest run (null before the first).
func (s *Server) listChecks(w http.ResponseWriter, r *http.Request) {
	infos := s.opts.Engine.Checks()
	out := make([]checkJSON, 0, len(infos))
	for _, c := range infos {
		runs, err := s.opts.Engine.Store().CheckRuns(r.Context(), c.Name, 1)
		if err != nil {
			s.log.Error("list checks", "check", c.Name, "err", err)
			writeError(w, http.StatusInternalServerError, "internal", fmt.Errorf("list checks: %w", err))
			return
		}
		cj := checkJSON{CheckInfo: c}
		if len(runs) > 0 {
			rj := runJSON(runs[0])
			cj.LastRun = &rj
		}
		out = append(out, cj)
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"checks": out}})
}

// knownCheck answers 404 for a name that is not a configured check.
func (s *Server) knownCheck(w http.ResponseWriter, name string) bool {
	if s.opts.Engine.HasCheck(name) {
		return true
	}
	writeError(w, http.StatusNotFound, "not_found", fmt.Errorf("no check named %q", name))
	return false
}

// positiveInt parses an optional positive integer query parameter.
func positiveInt(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > max {
		return 0, fmt.Errorf("%s must be an integer in 1..%d", name, max)
	}
	return n, nil
}

// listCheckRuns serves GET /api/v1/checks/{name}/runs?limit=: the newest
// runs, newest first, with their counts or their error.
func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.knownCheck(w, name) {
		return
	}
	limit, err := positiveInt(r, "limit", defaultCheckRunsLimit, store.MaxLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	runs, err := s.opts.Engine.Store().CheckRuns(r.Context(), name, limit)
	if err != nil {
		s.log.Error("list check runs", "check", name, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", fmt.Errorf("list check runs: %w", err))
		return
	}
	out := make([]checkRunJSON, len(runs))
	for i, run := range runs {
		out[i] = runJSON(run)
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"check": name, "runs": out}})
}

// listCheckDifferences serves GET
// /api/v1/checks/{name}/runs/{id}/differences?kind=&transient=&limit=:
// the differences a run kept, in key order, each with its rows and since
// when its key has differed.
func (s *Server) listCheckDifferences(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.knownCheck(w, name) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("run id must be a positive integer, not %q", r.PathValue("id")))
		return
	}
	q := r.URL.Query()
	f := store.CheckDifferenceFilter{RunID: id, Kind: q.Get("kind")}
	switch f.Kind {
	case "", check.KindMissingLeft, check.KindMissingRight, check.KindMismatched:
	default:
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("kind must be %s, %s or %s, not %q", check.KindMissingLeft, check.KindMissingRight, check.KindMismatched, f.Kind))
		return
	}
	if v := q.Get("transient"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("transient must be true or false, not %q", v))
			return
		}
		f.Transient = &b
	}
	if f.Limit, err = positiveInt(r, "limit", defaultDiffLimit, store.MaxLimit); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	st := s.opts.Engine.Store()
	run, err := st.CheckRun(r.Context(), name, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err)
		return
	case err != nil:
		s.log.Error("check run", "check", name, "run", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", fmt.Errorf("check run: %w", err))
		return
	}
	diffs, err := st.CheckDifferences(r.Context(), f)
	if err != nil {
		s.log.Error("list check differences", "check", name, "run", id, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", fmt.Errorf("list check differences: %w", err))
		return
	}
	if diffs == nil {
		diffs = []store.CheckDifference{}
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{
		"check": name, "run": runJSON(run), "differences": diffs,
	}})
}
