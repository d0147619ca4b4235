package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/series"
)

// DefaultMaxResponseBytes caps one query_range response body: a runaway
// query must fail with a clear error, not exhaust memory.
const DefaultMaxResponseBytes = 256 << 20

// promSource queries a Prometheus-compatible query_range API.
type promSource struct {
	name      string
	api       v1.API
	rt        *promRoundTripper
	transport *http.Transport
	maxPoints int
	timeout   time.Duration
	retry     retrier
	logger    *slog.Logger
}

func newPromSource(name string, cfg Config, logger *slog.Logger) (*promSource, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	rt := &promRoundTripper{
		next:    base,
		headers: cfg.Headers,
		token:   cfg.BearerToken.Value(),
		maxBody: DefaultMaxResponseBytes,
	}
	client, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: rt})
	if err != nil {
		return nil, err
	}
	return &promSource{
		name:      name,
		api:       v1.NewAPI(client),
		rt:        rt,
		transport: base,
		maxPoints: cfg.MaxPoints,
		timeout:   cfg.Timeout.Std(),
		retry:     newRetrier(name, cfg, logger, promRetryable),
		logger:    logger,
	}, nil
}

// Query evaluates q.Expr over [q.Start, q.End] at q.Step. A range with
// more than MaxPoints steps is fetched in consecutive chunks on the same
// step grid, and the chunks are merged per label set.
func (s *promSource) Query(ctx context.Context, q Query) ([]series.Series, error) {
	switch {
	case q.Step <= 0:
		return nil, fmt.Errorf("prometheus source %q: query needs a positive step", s.name)
	case q.Start.IsZero() || q.End.IsZero():
		return nil, fmt.Errorf("prometheus source %q: query needs a start and an end", s.name)
	case q.End.Before(q.Start):
		return nil, fmt.Errorf("prometheus source %q: end %v is before start %v", s.name, q.End, q.Start)
	}
	var (
		out   []series.Series
		index = map[string]int{}
	)
	for _, r := range splitRange(q.Start, q.End, q.Step, s.maxPoints) {
		m, err := s.queryRange(ctx, q.Expr, r)
		if err != nil {
			return nil, fmt.Errorf("prometheus source %q: query_range %q from %s to %s: %w",
				s.name, q.Expr, r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339), err)
		}
		for _, ss := range m {
			if len(ss.Values) == 0 {
				if len(ss.Histograms) > 0 {
					s.logger.Warn("ignoring native histogram samples", "source", s.name, "query", q.Expr, "series", ss.Metric.String())
				}
				continue
			}
			ls := metricToLabels(ss.Metric)
			key := ls.String()
			j, ok := index[key]
			if !ok {
				j = len(out)
				index[key] = j
				out = append(out, series.Series{Labels: ls})
			}
			for _, p := range ss.Values {
				out[j].Points = append(out[j].Points, series.Point{T: p.Timestamp.Time().UTC(), V: float64(p.Value)})
			}
		}
	}
	slices.SortFunc(out, func(a, b series.Series) int { return labels.Compare(a.Labels, b.Labels) })
	return out, nil
}

// queryRange fetches one chunk with retries.
func (s *promSource) queryRange(ctx context.Context, expr string, r v1.Range) (model.Matrix, error) {
	return do(ctx, s.retry, "query_range", func(ctx context.Context) (model.Matrix, error) {
		val, warnings, infos, err := s.api.QueryRange(ctx, expr, r, s.queryOptions()...)
		s.logNotes("query_range", expr, warnings, infos)
		if err != nil {
			return nil, describePromError(err)
		}
		m, ok := val.(model.Matrix)
		if !ok {
			return nil, fmt.Errorf("unexpected result type %s, want matrix", val.Type())
		}
		return m, nil
	})
}

// queryOptions are the options of every query: with a timeout, ask the
// server to give up too, rather than evaluate for nobody.
func (s *promSource) queryOptions() []v1.Option {
	if s.timeout > 0 {
		return []v1.Option{v1.WithTimeout(s.timeout)}
	}
	return nil
}

// logNotes logs the warnings and infos the server returned with a query;
// op is the API called (query, query_range).
func (s *promSource) logNotes(op, expr string, warnings v1.Warnings, infos v1.Infos) {
	for _, w := range warnings {
		s.logger.Warn(op+" warning", "source", s.name, "query", expr, "warning", w)
	}
	for _, i := range infos {
		s.logger.Info(op+" info", "source", s.name, "query", expr, "info", i)
	}
}

// describePromError adds the response body of an HTTP-level error, which
// the client keeps in Detail rather than in the message.
func describePromError(err error) error {
	var ae *v1.Error
	if errors.As(err, &ae) && ae.Detail != "" {
		return fmt.Errorf("%w: %s", err, truncate(strings.TrimSpace(ae.Detail), 200))
	}
	return err
}

// splitRange cuts [start, end] into ranges of at most maxPoints steps each
// on the grid start + k*step, so that the chunks together evaluate exactly
// the instants one request would.
func splitRange(start, end time.Time, step time.Duration, maxPoints int) []v1.Range {
	if maxPoints < 2 {
		maxPoints = DefaultMaxPoints
	}
	span := time.Duration(maxPoints-1) * step
	var out []v1.Range
	for s := start; !s.After(end); s = s.Add(span + step) {
		e := s.Add(span)
		if e.After(end) {
			e = end
		}
		out = append(out, v1.Range{Start: s, End: e, Step: step})
	}
	return out
}

// metricToLabels converts a result's metric to a sorted label set.
func metricToLabels(m model.Metric) labels.Labels {
	b := labels.NewScratchBuilder(len(m))
	for k, v := range m {
		b.Add(string(k), string(v))
	}
	b.Sort()
	return b.Labels()
}

// promRetryable retries server-side failures, overload and network errors;
// bad queries (bad_data, 4xx, execution errors) fail at once.
func promRetryable(err error) bool {
	if errors.Is(err, errBodyTooLarge) {
		return false
	}
	var ae *v1.Error
	if errors.As(err, &ae) {
		switch ae.Type {
		case v1.ErrServer, v1.ErrTimeout:
			return true
		case v1.ErrClient:
			return strings.HasSuffix(ae.Msg, ": 429") // too many requests
		}
		return false
	}
	return isTransientNetErr(err)
}

// errBodyTooLarge is returned when a response exceeds the size cap.
var errBodyTooLarge = errors.New("response body too large")

// promRoundTripper adds authentication and headers to every request and
// caps the response size.
type promRoundTripper struct {
	next    http.RoundTripper
	headers map[string]string
	token   string
	maxBody int64
}

func (rt *promRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context()) // a RoundTripper must not modify its request
	for k, v := range rt.headers {
		req.Header.Set(k, v)
	}
	if rt.token != "" {
		req.Header.Set("Authorization", "Bearer "+rt.token)
	}
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > rt.maxBody {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errBodyTooLarge, resp.ContentLength, rt.maxBody)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: rt.maxBody}
	return resp, nil
}

// limitedBody fails a read past its limit instead of truncating silently,
// which would surface as a confusing JSON error.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe for one more byte: a body of exactly the limit is fine.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Close releases idle connections.
func (s *promSource) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}
