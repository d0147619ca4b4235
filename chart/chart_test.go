package chart

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"
)

func samplePoints() []Point {
	t0 := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	var pts []Point
	for i := range 288 {
		v := 100 + 30*math.Sin(2*math.Pi*float64(i)/288)
		pts = append(pts, Point{T: t0.Add(time.Duration(i) * 5 * time.Minute), Value: v, Expected: v, Lower: v - 10, Upper: v + 10})
	}
	pts[100].Value += 80
	pts[100].Anomaly = true
	pts[50].Value = math.NaN()                            // a gap in the data
	pts[60].Lower, pts[60].Upper = math.NaN(), math.NaN() // a point the baseline could not judge
	return pts
}

func TestRenderPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "png", samplePoints(), Options{Title: "orders"}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
		t.Errorf("image is %v, want a 12×4 inch chart", b)
	}
	// The anomaly marker's red must be somewhere in the image.
	red := false
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y && !red; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 0xb0 && g>>8 < 0x50 && b>>8 < 0x50 {
				red = true
				break
			}
		}
	}
	if !red {
		t.Error("no anomaly marker drawn")
	}
}

func TestRenderSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "svg", samplePoints(), Options{}); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "<svg") || !strings.Contains(s, "anomaly (1)") {
		t.Errorf("SVG lacks the chart or its legend")
	}
}

func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "png", nil, Options{}); err == nil {
		t.Error("empty series drawn")
	}
	if err := Render(&buf, "png", []Point{{Value: math.NaN()}}, Options{}); err == nil {
		t.Error("all-NaN series drawn")
	}
	if err := Render(&buf, "gif", samplePoints(), Options{}); err == nil {
		t.Error("gif accepted")
	}
	for name, want := range map[string]string{"a.PNG": "png", "b.svg": "svg"} {
		if got, err := FormatOf(name); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v", name, got, err)
		}
	}
	if _, err := FormatOf("c.jpg"); err == nil {
		t.Error("jpg accepted")
	}
}
