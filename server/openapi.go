package server

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3 description of every /api/v1 route (and of
// the Grafana-facing ones). TestOpenAPICoversRoutes keeps it complete.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves GET /api/v1/openapi.json.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
}
