package source

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// writeRequestDescriptor describes prometheus.WriteRequest as the remote
// write 1.0 spec's types.proto and remote.proto define it, for decoding
// with the protobuf runtime's own dynamic messages: an independent check
// of the hand-written encoder.
func writeRequestDescriptor(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	f := func(name string, num int32, label descriptorpb.FieldDescriptorProto_Label, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		fd := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: label.Enum(), Type: typ.Enum(), JsonName: proto.String(name)}
		if typeName != "" {
			fd.TypeName = proto.String(typeName)
		}
		return fd
	}
	const (
		rep = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		opt = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		msg = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	)
	file := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("remote_write_test.proto"),
		Package: proto.String("prometheus"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("WriteRequest"), Field: []*descriptorpb.FieldDescriptorProto{f("timeseries", 1, rep, msg, ".prometheus.TimeSeries")}},
			{Name: proto.String("TimeSeries"), Field: []*descriptorpb.FieldDescriptorProto{
				f("labels", 1, rep, msg, ".prometheus.Label"), f("samples", 2, rep, msg, ".prometheus.Sample"),
			}},
			{Name: proto.String("Label"), Field: []*descriptorpb.FieldDescriptorProto{
				f("name", 1, opt, descriptorpb.FieldDescriptorProto_TYPE_STRING, ""), f("value", 2, opt, descriptorpb.FieldDescriptorProto_TYPE_STRING, ""),
			}},
			{Name: proto.String("Sample"), Field: []*descriptorpb.FieldDescriptorProto{
				f("value", 1, opt, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, ""), f("timestamp", 2, opt, descriptorpb.FieldDescriptorProto_TYPE_INT64, ""),
			}},
		},
	}
	fd, err := protodesc.NewFile(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().ByName("WriteRequest")
}

// decodedSeries is a TimeSeries as the protobuf runtime decoded it.
type decodedSeries struct {
	labels  map[string]string
	names   []string // in wire order
	times   []int64
	values  []float64
	samples int
}

// decodeWriteRequest decodes a WriteRequest with dynamicpb.
func decodeWriteRequest(t *testing.T, data []byte) []decodedSeries {
	t.Helper()
	md := writeRequestDescriptor(t)
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(data, m); err != nil {
		t.Fatalf("not a WriteRequest: %v", err)
	}
	var out []decodedSeries
	tsList := m.Get(md.Fields().ByName("timeseries")).List()
	for i := range tsList.Len() {
		ts := tsList.Get(i).Message()
		tsd := ts.Descriptor()
		d := decodedSeries{labels: map[string]string{}}
		ls := ts.Get(tsd.Fields().ByName("labels")).List()
		for j := range ls.Len() {
			l := ls.Get(j).Message()
			name := l.Get(l.Descriptor().Fields().ByName("name")).String()
			d.labels[name] = l.Get(l.Descriptor().Fields().ByName("value")).String()
			d.names = append(d.names, name)
		}
		ss := ts.Get(tsd.Fields().ByName("samples")).List()
		for j := range ss.Len() {
			s := ss.Get(j).Message()
			d.values = append(d.values, s.Get(s.Descriptor().Fields().ByName("value")).Float())
			d.times = append(d.times, s.Get(s.Descriptor().Fields().ByName("timestamp")).Int())
		}
		d.samples = ss.Len()
		out = append(out, d)
	}
	return out
}

var rwT0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

func rwPoints(vals ...float64) []series.Point {
	out := make([]series.Point, len(vals))
	for i, v := range vals {
		out[i] = series.Point{T: rwT0.Add(time.Duration(i) * time.Minute), V: v}
	}
	return out
}

func TestEncodeWriteRequest(t *testing.T) {
	in := []WriteSeries{
		{Labels: labels.FromStrings("__name__", "seismo_anomaly_score", "channel", "app", "monitor", "openings"), Samples: rwPoints(0.25, 0, -3.5e300)},
		{Labels: labels.FromStrings("__name__", "seismo_expected", "channel", "web"), Samples: rwPoints(math.NaN())},
		{Labels: labels.FromStrings("__name__", "empty")},
	}
	raw, err := EncodeWriteRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeWriteRequest(t, raw)
	if len(got) != 3 {
		t.Fatalf("%d series decoded, want 3", len(got))
	}
	a := got[0]
	if strings.Join(a.names, ",") != "__name__,channel,monitor" || a.labels["monitor"] != "openings" || a.labels["__name__"] != "seismo_anomaly_score" {
		t.Errorf("labels %v in order %v", a.labels, a.names)
	}
	wantT := []int64{rwT0.UnixMilli(), rwT0.Add(time.Minute).UnixMilli(), rwT0.Add(2 * time.Minute).UnixMilli()}
	for i, v := range []float64{0.25, 0, -3.5e300} {
		if a.values[i] != v || a.times[i] != wantT[i] {
			t.Errorf("sample %d = (%d, %v), want (%d, %v)", i, a.times[i], a.values[i], wantT[i], v)
		}
	}
	if !math.IsNaN(got[1].values[0]) || got[1].labels["channel"] != "web" {
		t.Errorf("second series %+v", got[1])
	}
	if got[2].samples != 0 || got[2].labels["__name__"] != "empty" {
		t.Errorf("third series %+v", got[2])
	}
}

// rwReceiver is a remote write receiver: it checks the protocol headers,
// decodes each request and answers with the next status of its script
// (then 204).
type rwReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	script []int
	header http.Header // of the last request
	got    [][]decodedSeries
	calls  int
	first  chan struct{} // closed on the first request, when not nil
}

func (rr *rwReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rr.t.Errorf("read body: %v", err)
	}
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.calls++
	if rr.calls == 1 && rr.first != nil {
		close(rr.first)
	}
	rr.header = r.Header.Clone()
	for k, want := range map[string]string{
		"Content-Encoding":                  "snappy",
		"Content-Type":                      "application/x-protobuf",
		"X-Prometheus-Remote-Write-Version": "0.1.0",
	} {
		if got := r.Header.Get(k); got != want {
			rr.t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if r.Method != http.MethodPost {
		rr.t.Errorf("method %s", r.Method)
	}
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		rr.t.Errorf("body is not snappy block-compressed: %v", err)
	}
	code := http.StatusNoContent
	if len(rr.script) > 0 {
		code, rr.script = rr.script[0], rr.script[1:]
	}
	if code == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "0")
	}
	if code/100 == 2 {
		rr.got = append(rr.got, decodeWriteRequest(rr.t, raw))
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, http.StatusText(code))
}

func newTestWriter(t *testing.T, url string, mod func(*RemoteWriteConfig)) (*RemoteWriter, *prometheus.Registry) {
	t.Helper()
	cfg := RemoteWriteConfig{URL: url, MinBackoff: field.Duration(time.Millisecond), MaxBackoff: field.Duration(5 * time.Millisecond)}
	if mod != nil {
		mod(&cfg)
	}
	reg := prometheus.NewRegistry()
	w, err := NewRemoteWriter(cfg, RemoteWriterOptions{Registerer: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return w, reg
}

func TestRemoteWriteBatches(t *testing.T) {
	rr := &rwReceiver{t: t}
	srv := httptest.NewServer(rr)
	defer srv.Close()
	w, reg := newTestWriter(t, srv.URL+"/api/v1/write", func(c *RemoteWriteConfig) {
		c.MaxSamplesPerSend = 3
		c.Headers = map[string]string{"X-Scope-OrgID": "ops"}
		c.BearerToken = secretOf(t, "s3cret")
	})
	a := labels.FromStrings("__name__", "seismo_upper", "channel", "app")
	b := labels.FromStrings("__name__", "seismo_upper", "channel", "web")
	if err := w.Write(context.Background(), []WriteSeries{{Labels: a, Samples: rwPoints(1, 2, 3, 4)}, {Labels: b, Samples: rwPoints(9)}}); err != nil {
		t.Fatal(err)
	}
	if len(rr.got) != 2 {
		t.Fatalf("%d requests, want 2 (3 samples, then 2)", len(rr.got))
	}
	first, second := rr.got[0], rr.got[1]
	if len(first) != 1 || first[0].samples != 3 || first[0].labels["channel"] != "app" {
		t.Errorf("first request %+v", first)
	}
	if len(second) != 2 || second[0].samples != 1 || second[0].values[0] != 4 || second[1].labels["channel"] != "web" || second[1].values[0] != 9 {
		t.Errorf("second request %+v", second)
	}
	if rr.header.Get("X-Scope-OrgID") != "ops" || rr.header.Get("Authorization") != "Bearer s3cret" {
		t.Errorf("headers %v", rr.header)
	}
	if got := testutil.ToFloat64(w.samples.WithLabelValues("sent")); got != 5 {
		t.Errorf("sent samples metric = %v, want 5", got)
	}
	if n, err := testutil.GatherAndCount(reg, "seismo_remote_write_requests_total"); err != nil || n != 1 {
		t.Errorf("request metric series %d (%v), want one (2xx)", n, err)
	}
}

func TestRemoteWriteRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  []int
		retries int
		calls   int
		fail    bool
	}{
		{"5xx is retried", []int{500, 503}, 0, 3, false},
		{"429 is retried after Retry-After", []int{429}, 0, 2, false},
		{"4xx is not retried", []int{400}, 0, 1, true},
		{"404 is not retried either", []int{404}, 0, 1, true},
		{"5xx until the retries run out", []int{500, 500, 500}, 2, 3, true},
		{"no retries", []int{502}, -1, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := &rwReceiver{t: t, script: tc.script}
			srv := httptest.NewServer(rr)
			defer srv.Close()
			w, _ := newTestWriter(t, srv.URL, func(c *RemoteWriteConfig) { c.Retries = tc.retries })
			err := w.Write(context.Background(), []WriteSeries{{Labels: labels.FromStrings("__name__", "x"), Samples: rwPoints(1, 2)}})
			if (err != nil) != tc.fail {
				t.Errorf("error %v, want failure %v", err, tc.fail)
			}
			if rr.calls != tc.calls {
				t.Errorf("%d requests, want %d", rr.calls, tc.calls)
			}
			failed := testutil.ToFloat64(w.samples.WithLabelValues("failed"))
			if (failed == 2) != tc.fail {
				t.Errorf("failed samples metric = %v", failed)
			}
			if tc.fail && err != nil && !strings.Contains(err.Error(), "HTTP") {
				t.Errorf("error does not say what the receiver answered: %v", err)
			}
		})
	}
}

func TestRemoteWriteCancel(t *testing.T) {
	rr := &rwReceiver{t: t, script: []int{500, 500, 500, 500, 500, 500}, first: make(chan struct{})}
	srv := httptest.NewServer(rr)
	defer srv.Close()
	w, _ := newTestWriter(t, srv.URL, func(c *RemoteWriteConfig) {
		c.MinBackoff, c.MaxBackoff = field.Duration(time.Hour), field.Duration(time.Hour)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Write(ctx, []WriteSeries{{Labels: labels.FromStrings("__name__", "x"), Samples: rwPoints(1)}})
	}()
	<-rr.first // the first attempt failed: cancel during the hour-long backoff
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestRemoteWriteConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  RemoteWriteConfig
		path string // "" when valid
	}{
		{"defaults", RemoteWriteConfig{URL: "http://vm:8428/api/v1/write"}, ""},
		{"no url", RemoteWriteConfig{}, "url"},
		{"ftp", RemoteWriteConfig{URL: "ftp://vm/"}, "url"},
		{"reserved header", RemoteWriteConfig{URL: "http://vm/", Headers: map[string]string{"Content-Encoding": "gzip"}}, "headers.Content-Encoding"},
		{"bad header", RemoteWriteConfig{URL: "http://vm/", Headers: map[string]string{"a b": "c"}}, "headers"},
		{"batch too large", RemoteWriteConfig{URL: "http://vm/", MaxSamplesPerSend: 2_000_000}, "max_samples_per_send"},
		{"retries", RemoteWriteConfig{URL: "http://vm/", Retries: -2}, "retries"},
		{"backoffs inverted", RemoteWriteConfig{URL: "http://vm/", MinBackoff: field.Duration(time.Second), MaxBackoff: field.Duration(time.Millisecond)}, "max_backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.ApplyDefaults()
			err := c.Validate()
			if tc.path == "" {
				if err != nil {
					t.Errorf("valid config rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %v, want one about %s", err, tc.path)
			}
		})
	}
}

// secretOf returns a resolved literal secret.
func secretOf(t *testing.T, v string) field.Secret {
	t.Helper()
	s := field.Secret{Literal: v}
	if err := s.Resolve(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return s
}
