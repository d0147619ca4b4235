// Package chart draws a series with its baseline band and its anomalies,
// as PNG or SVG. `seismo detect --plot` uses it; alert notifications and
// the UI will use it to show people what the detector saw.
package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one judged sample: its value, the band around the expected
// value, and whether it was an anomaly. Expected, Lower and Upper may be NaN
// where the baseline could not judge.
type Point struct {
	T                      time.Time
	Value                  float64
	Expected, Lower, Upper float64
	Anomaly                bool
}

// Options tune a chart. The zero value gives a 12×4 inch chart.
type Options struct {
	Title         string
	Width, Height vg.Length
	Location      *time.Location // for the time axis; nil = UTC
}

// Colours chosen to stay readable in print and for colour-blind readers.
var (
	seriesColour   = color.RGBA{R: 0x1f, G: 0x4e, B: 0x79, A: 0xff}
	expectedColour = color.RGBA{R: 0x6b, G: 0x77, B: 0x8d, A: 0xff}
	bandColour     = color.NRGBA{R: 0x9e, G: 0xc5, B: 0xea, A: 0x99}
	anomalyColour  = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
)

// Render writes the chart of pts in the given format ("png" or "svg").
func Render(w io.Writer, format string, pts []Point, opts Options) error {
	p, err := build(pts, opts)
	if err != nil {
		return err
	}
	width, height := opts.Width, opts.Height
	if width == 0 {
		width = 12 * vg.Inch
	}
	if height == 0 {
		height = 4 * vg.Inch
	}
	wt, err := p.WriterTo(width, height, format)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("chart: write %s: %w", format, err)
	}
	return nil
}

// FormatOf returns the image format a file name asks for: "png" or "svg".
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	default:
		return "", fmt.Errorf("chart: unsupported image type %q (use .png or .svg)", ext)
	}
}

func build(pts []Point, opts Options) (*plot.Plot, error) {
	if len(pts) == 0 {
		return nil, fmt.Errorf("chart: no points to draw")
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	p := plot.New()
	p.Title.Text = opts.Title
	p.X.Tick.Marker = plot.TimeTicks{Format: timeFormat(pts), Time: func(t float64) time.Time {
		return time.Unix(0, int64(t*1e9)).In(loc)
	}}
	p.Y.Label.Text = "value"
	p.Add(plotter.NewGrid())

	var values, expected, anomalies plotter.XYs
	var upper, lower plotter.XYs
	for _, pt := range pts {
		if !finite(pt.Value) {
			continue
		}
		x := float64(pt.T.UnixNano()) / 1e9
		values = append(values, plotter.XY{X: x, Y: pt.Value})
		if finite(pt.Expected) {
			expected = append(expected, plotter.XY{X: x, Y: pt.Expected})
		}
		if finite(pt.Lower) && finite(pt.Upper) {
			lower = append(lower, plotter.XY{X: x, Y: pt.Lower})
			upper = append(upper, plotter.XY{X: x, Y: pt.Upper})
		}
		if pt.Anomaly {
			anomalies = append(anomalies, plotter.XY{X: x, Y: pt.Value})
		}
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("chart: no finite values to draw")
	}
	if len(upper) > 1 {
		band, err := bandPolygon(lower, upper)
		if err != nil {
			return nil, err
		}
		p.Add(band)
		p.Legend.Add("normal band", band)
	}
	if len(expected) > 1 {
		l, err := plotter.NewLine(expected)
		if err != nil {
			return nil, fmt.Errorf("chart: expected line: %w", err)
		}
		l.Color = expectedColour
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		p.Add(l)
		p.Legend.Add("expected", l)
	}
	l, err := plotter.NewLine(values)
	if err != nil {
		return nil, fmt.Errorf("chart: series line: %w", err)
	}
	l.Color = seriesColour
	l.Width = vg.Points(1)
	p.Add(l)
	p.Legend.Add("value", l)
	if len(anomalies) > 0 {
		s, err := plotter.NewScatter(anomalies)
		if err != nil {
			return nil, fmt.Errorf("chart: anomalies: %w", err)
		}
		s.Color = anomalyColour
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(3)
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("anomaly (%d)", len(anomalies)), s)
	}
	p.Legend.Top = true
	return p, nil
}

// bandPolygon is the band as one filled polygon: along the upper edge and
// back along the lower one.
func bandPolygon(lower, upper plotter.XYs) (*plotter.Polygon, error) {
	ring := make(plotter.XYs, 0, 2*len(upper))
	ring = append(ring, upper...)
	for i := len(lower) - 1; i >= 0; i-- {
		ring = append(ring, lower[i])
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return nil, fmt.Errorf("chart: band: %w", err)
	}
	poly.Color = bandColour
	poly.LineStyle.Width = 0
	return poly, nil
}

// timeFormat picks tick labels that fit the span shown.
func timeFormat(pts []Point) string {
	span := pts[len(pts)-1].T.Sub(pts[0].T)
	switch {
	case span <= 36*time.Hour:
		return "01-02 15:04"
	case span <= 120*24*time.Hour:
		return "2006-01-02"
	}
	return "2006-01"
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
