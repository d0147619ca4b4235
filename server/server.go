// Package server serves Seismo's HTTP interface: health and readiness,
// Prometheus metrics, the JSON API and a small web UI.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seismo-dev/seismo/engine"
)

// maxBodyBytes caps request bodies; larger requests get 413.
const maxBodyBytes = 1 << 20

// Options configure a Server.
type Options struct {
	Addr    string         // listen address, e.g. 127.0.0.1:9108
	Engine  *engine.Engine // the engine whose state is served
	Logger  *slog.Logger
	Version string
}

// Server is the HTTP server. Create it with New and start it with Run.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	lab    labeling // tokens, body cap and window answers (labels.go, auth.go, series.go)
	labErr error    // why the labeling state could not be built; Serve returns it
}

// New builds the server and its routes.
func New(opts Options) *Server {
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.labErr = s.initLabeling()
	s.routes()
	return s
}

func (s *Server) routes() {
	reg := s.opts.Engine.Registry()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.opts.Engine.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.mux.HandleFunc("GET /api/v1/events", s.listEvents)
	s.alertRoutes() // alerts, silences, acknowledgements, notifications (alerts.go)
	s.mux.HandleFunc("GET /api/v1/jobs", s.listJobs)
	s.mux.HandleFunc("GET /api/v1/choices", s.listChoices)
	s.mux.HandleFunc("GET /api/v1/logs/{stream}/templates", s.listLogTemplates)
	s.checkRoutes()    // consistency checks: runs and differences (checks.go)
	s.labelingRoutes() // series, labels, audit, tokens, OpenAPI, Grafana (labels.go)

	s.tuningRoutes() // backtests, sweeps, recommendations, saved tunings, the analyst's page (tuning.go)
	s.mux.HandleFunc("GET /{$}", s.index)
}

// Handler returns the server's handler with its middleware: the body
// size cap (server.max_body_bytes) and the token check of auth.go.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.labErr != nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", s.labErr)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.lab.maxBody)
		_, pattern := s.mux.Handler(r)
		r, ok := s.guard(w, r, pattern)
		if !ok {
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Run listens and serves until ctx is cancelled, then shuts down gracefully.
// The listener is opened before Run returns its first error, so a port
// already in use is reported at once.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.labErr != nil {
		return s.labErr
	}
	if err := s.checkListen(ln.Addr()); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.log.Info("serving HTTP", "url", "http://"+ln.Addr().String()+"/")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}
