package server

import (
	"embed"
	"net/http"
)

// tuningFiles are the analyst's page and its script and style: plain
// HTML, JavaScript and SVG with no external resource, so the page works
// offline.
//
//go:embed ui/tuning.html ui/tuning.js ui/tuning.css
var tuningFiles embed.FS

func (s *Server) tuningAssetRoutes() {
	s.mux.HandleFunc("GET /ui/tuning.js", s.tuningAsset("ui/tuning.js", "text/javascript; charset=utf-8"))
	s.mux.HandleFunc("GET /ui/tuning.css", s.tuningAsset("ui/tuning.css", "text/css; charset=utf-8"))
}

// tuningPage serves GET /tuning, the analyst's page.
func (s *Server) tuningPage(w http.ResponseWriter, r *http.Request) {
	s.tuningAsset("ui/tuning.html", "text/html; charset=utf-8")(w, r)
}

// tuningAsset serves one embedded file. no-cache makes browsers check
// the (cheap) file again, so a new binary's page is never mixed with an
// old script.
func (s *Server) tuningAsset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		b, err := tuningFiles.ReadFile(name)
		if err != nil {
			s.internalError(w, "tuning page", err)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(b)
	}
}
