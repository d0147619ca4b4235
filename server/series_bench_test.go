package server

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/engine"
)

// benchWindow is a 50,000-point window with a band on every point.
func benchWindow() *engine.Window {
	const n = 50000
	w := &engine.Window{Monitor: "openings", Series: labels.FromStrings("__name__", "account_openings", "channel", "app"),
		From: now.Add(-(n - 1) * time.Minute), To: now, Step: time.Minute, Model: "phase model", Detector: "robust"}
	for i := range n {
		w.Times = append(w.Times, w.From.Add(time.Duration(i)*time.Minute).UnixMilli())
		v := 50 + 20*math.Sin(float64(i)/200)
		w.Values = append(w.Values, math.Round(v))
		w.Expected = append(w.Expected, v+0.123456789)
		w.Lower = append(w.Lower, v-7.3456789012)
		w.Upper = append(w.Upper, v+7.8901234567)
	}
	return w
}

// BenchmarkEncodeWindow is the cost of serialising a 50,000-point window
// (paid once per answer, then cached).
func BenchmarkEncodeWindow(b *testing.B) {
	w := benchWindow()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeWindow(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeColumns is the cost of encoding and compressing the
// columns of a new band (paid once per band).
func BenchmarkEncodeColumns(b *testing.B) {
	w := benchWindow()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeColumns(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewAnswer is the cost of an answer whose band is encoded
// already: what a label change costs.
func BenchmarkNewAnswer(b *testing.B) {
	w := benchWindow()
	cols, err := encodeColumns(w)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tail, err := appendTail(nil, w)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := newAnswer(cols, tail, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
