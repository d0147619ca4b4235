package source

// Prometheus remote write 1.0 (https://prometheus.io/docs/specs/prw/remote_write_spec/):
// results written back as series, so that dashboards that already read
// Prometheus or VictoriaMetrics draw Seismo's scores and bands next to the
// data. A request body is a prometheus.WriteRequest protobuf message,
// compressed with Snappy's block format, POSTed with
//
//	Content-Encoding: snappy
//	Content-Type: application/x-protobuf
//	X-Prometheus-Remote-Write-Version: 0.1.0
//
// The message is built with Prometheus's own prompb types. The spec asks
// for labels sorted by name (labels.Labels are) with __name__ among them,
// and samples in time order.
//
// Delivery follows the spec: 5xx and 429 are retried with exponential
// backoff (a 429's Retry-After honoured, capped at max_backoff); any other
// 4xx is the request's fault and is dropped without retrying; 2xx is
// success.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// Remote write defaults.
const (
	DefaultRemoteWriteTimeout    = 30 * time.Second
	DefaultMaxSamplesPerSend     = 5000
	DefaultRemoteWriteRetries    = 5
	DefaultRemoteWriteMinBackoff = 100 * time.Millisecond
	DefaultRemoteWriteMaxBackoff = 10 * time.Second
	// remoteWriteVersion is the protocol version header of remote write 1.0.
	remoteWriteVersion = "0.1.0"
)

// RemoteWriteConfig says where to write results (global.remote_write).
type RemoteWriteConfig struct {
	// URL is the receiver's write endpoint, e.g.
	// http://victoriametrics:8428/api/v1/write or
	// http://prometheus:9090/api/v1/write.
	URL string `yaml:"url"`
	// Headers are added to every request (a tenant, say).
	Headers map[string]string `yaml:"headers,omitempty"`
	// BearerToken is sent as Authorization: Bearer.
	BearerToken field.Secret `yaml:"bearer_token,omitempty"`
	// Timeout bounds one request (default 30s).
	Timeout field.Duration `yaml:"timeout,omitempty"`
	// MaxSamplesPerSend caps the samples of one request (default 5000).
	MaxSamplesPerSend int `yaml:"max_samples_per_send,omitempty"`
	// Retries is how many times a request that failed with 5xx, 429 or a
	// network error is tried again (default 5; -1 for none).
	Retries int `yaml:"retries,omitempty"`
	// MinBackoff and MaxBackoff bound the wait between tries (defaults
	// 100ms and 10s).
	MinBackoff field.Duration `yaml:"min_backoff,omitempty"`
	MaxBackoff field.Duration `yaml:"max_backoff,omitempty"`
}

// ApplyDefaults fills unset fields.
func (c *RemoteWriteConfig) ApplyDefaults() {
	if c.Timeout == 0 {
		c.Timeout = field.Duration(DefaultRemoteWriteTimeout)
	}
	if c.MaxSamplesPerSend == 0 {
		c.MaxSamplesPerSend = DefaultMaxSamplesPerSend
	}
	if c.Retries == 0 {
		c.Retries = DefaultRemoteWriteRetries
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = field.Duration(DefaultRemoteWriteMinBackoff)
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = field.Duration(DefaultRemoteWriteMaxBackoff)
	}
}

// Validate checks the fields; paths are relative ("url", "headers.X").
func (c RemoteWriteConfig) Validate() error {
	var errs field.List
	errs.Add("url", validateURL(c.URL))
	for name := range c.Headers {
		switch {
		case !validHeaderName(name):
			errs.Addf(field.Join("headers", name), "invalid header name %q", name)
		case reservedRemoteWriteHeader(name):
			errs.Addf(field.Join("headers", name), "header %s is set by the remote write protocol and cannot be configured", name)
		}
	}
	if c.Timeout <= 0 {
		errs.Addf("timeout", "timeout must be positive")
	}
	if c.MaxSamplesPerSend < 1 || c.MaxSamplesPerSend > 1_000_000 {
		errs.Addf("max_samples_per_send", "must be between 1 and 1000000, got %d", c.MaxSamplesPerSend)
	}
	if c.Retries < -1 || c.Retries > 100 {
		errs.Addf("retries", "must be between -1 (none) and 100, got %d", c.Retries)
	}
	if c.MinBackoff <= 0 {
		errs.Addf("min_backoff", "min_backoff must be positive")
	}
	if c.MaxBackoff < c.MinBackoff {
		errs.Addf("max_backoff", "max_backoff (%s) must not be shorter than min_backoff (%s)", c.MaxBackoff, c.MinBackoff)
	}
	return errs.Err()
}

func reservedRemoteWriteHeader(name string) bool {
	switch strings.ToLower(name) {
	case "content-encoding", "content-type", "content-length", "x-prometheus-remote-write-version", "user-agent":
		return true
	}
	return false
}

// WriteSeries is one series to write: its label set (with __name__) and
// its samples in time order.
type WriteSeries struct {
	Labels  labels.Labels
	Samples []series.Point
}

// RemoteWriterOptions are a RemoteWriter's collaborators; the zero value
// is usable.
type RemoteWriterOptions struct {
	Client     *http.Client          // nil: a client with the configured timeout
	Logger     *slog.Logger          // nil: slog.Default()
	Registerer prometheus.Registerer // nil: no metrics
	UserAgent  string                // default "seismo"
}

// RemoteWriter writes series to a remote write receiver. It is safe for
// concurrent use and starts no goroutine: Write returns when its requests
// are done.
type RemoteWriter struct {
	cfg     RemoteWriteConfig
	url     string
	client  *http.Client
	log     *slog.Logger
	ua      string
	samples *prometheus.CounterVec
	reqs    *prometheus.CounterVec
}

// NewRemoteWriter returns a writer for cfg (defaults applied to a copy).
func NewRemoteWriter(cfg RemoteWriteConfig, opts RemoteWriterOptions) (*RemoteWriter, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("remote write config: %w", err)
	}
	w := &RemoteWriter{cfg: cfg, url: cfg.URL, client: opts.Client, log: opts.Logger, ua: opts.UserAgent}
	if w.client == nil {
		w.client = &http.Client{}
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.ua == "" {
		w.ua = "seismo"
	}
	w.samples = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seismo_remote_write_samples_total",
		Help: "Samples written by remote write, by result (sent, failed: given up after retries or refused with 4xx).",
	}, []string{"result"})
	w.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seismo_remote_write_requests_total",
		Help: "Remote write HTTP requests, by status code class (2xx, 4xx, 5xx) or error.",
	}, []string{"code"})
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{w.samples, w.reqs} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("remote write metrics: %w", err)
			}
		}
	}
	return w, nil
}

// Write sends ss in requests of at most max_samples_per_send samples
// (a long series is split across requests). It stops at the first
// request that fails for good and returns its error; the samples of the
// requests before it are written.
func (w *RemoteWriter) Write(ctx context.Context, ss []WriteSeries) error {
	var (
		batch []WriteSeries
		n     int
		sent  int
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		err := w.send(ctx, batch, n)
		if err != nil {
			w.samples.WithLabelValues("failed").Add(float64(n))
			return fmt.Errorf("remote write to %s: %w", w.url, err)
		}
		w.samples.WithLabelValues("sent").Add(float64(n))
		sent += n
		batch, n = batch[:0], 0
		return nil
	}
	limit := w.cfg.MaxSamplesPerSend
	for _, s := range ss {
		rest := s.Samples
		for len(rest) > 0 {
			take := min(len(rest), limit-n)
			batch = append(batch, WriteSeries{Labels: s.Labels, Samples: rest[:take]})
			n += take
			rest = rest[take:]
			if n == limit {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// statusError is a non-2xx answer.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// send writes one request with retries.
func (w *RemoteWriter) send(ctx context.Context, batch []WriteSeries, samples int) error {
	raw, err := EncodeWriteRequest(batch)
	if err != nil {
		return err
	}
	body := snappy.Encode(nil, raw)
	r := retrier{
		source:  "remote_write",
		timeout: w.cfg.Timeout.Std(),
		retries: max(w.cfg.Retries, 0),
		initial: w.cfg.MinBackoff.Std(),
		retryable: func(err error) bool {
			var se *statusError
			if errors.As(err, &se) {
				return se.code >= 500 || se.code == http.StatusTooManyRequests
			}
			return isTransientNetErr(err)
		},
		logger: w.log,
	}
	_, err = do(ctx, r, fmt.Sprintf("write %d samples", samples), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, w.post(ctx, body)
	})
	return err
}

// post makes one request.
func (w *RemoteWriter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(fmt.Errorf("build request: %w", err))
	}
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", remoteWriteVersion)
	req.Header.Set("User-Agent", w.ua)
	if tok := w.cfg.BearerToken.Value(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		w.reqs.WithLabelValues("error").Inc()
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512)) // for the error message only
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	w.reqs.WithLabelValues(strconv.Itoa(resp.StatusCode/100) + "xx").Inc()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(msg))}
	if resp.StatusCode == http.StatusTooManyRequests {
		if secs, perr := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); perr == nil && secs >= 0 {
			wait := min(time.Duration(secs)*time.Second, w.cfg.MaxBackoff.Std())
			return errors.Join(err, &backoff.RetryAfterError{Duration: wait})
		}
	}
	return err
}

// EncodeWriteRequest encodes ss as a remote write 1.0 WriteRequest
// protobuf message (uncompressed), with Prometheus's own prompb types.
// Label sets are written as given (labels.Labels are sorted by name);
// samples in the order given. Non-finite values are written as they are.
func EncodeWriteRequest(ss []WriteSeries) ([]byte, error) {
	req := prompb.WriteRequest{Timeseries: make([]prompb.TimeSeries, len(ss))}
	for i, s := range ss {
		ts := &req.Timeseries[i]
		ts.Labels = make([]prompb.Label, 0, s.Labels.Len())
		s.Labels.Range(func(l labels.Label) {
			ts.Labels = append(ts.Labels, prompb.Label{Name: l.Name, Value: l.Value})
		})
		ts.Samples = make([]prompb.Sample, len(s.Samples))
		for j, p := range s.Samples {
			ts.Samples[j] = prompb.Sample{Value: p.V, Timestamp: p.T.UnixMilli()}
		}
	}
	out, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal remote write request: %w", err)
	}
	return out, nil
}
