//go:build integration

package server

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// screenshot makes TestTuningPageInChromium save its screenshot as
// docs/img/tuning.png: go test -tags integration ./server -run
// TestTuningPageInChromium -screenshot.
var screenshot = flag.Bool("screenshot", false, "write docs/img/tuning.png from the tuning page test")

// startDemo serves a running engine on the built-in demo data (its store
// in a temporary folder) on a loopback port, and returns the server's
// address and the engine.
func startDemo(t *testing.T) (string, *engine.Engine) {
	t.Helper()
	dir := t.TempDir()
	yaml := bytes.Replace(datasets.DemoConfig(time.Now()), []byte(`dsn: "seismo-demo.db"`), []byte(`dsn: "`+filepath.Join(dir, "seismo.db")+`"`), 1)
	cfg, err := config.Parse(yaml, "")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.New(context.Background(), cfg, engine.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	ran := make(chan error, 1)
	go func() { ran <- eng.Run(ctx) }()
	go func() { served <- New(Options{Engine: eng, Version: "tuning-test", Logger: logger}).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := <-ran; err != nil {
			t.Errorf("engine: %v", err)
		}
	})
	return ln.Addr().String(), eng
}

// TestTuningPageInChromium drives the analyst's page in headless Chromium
// against a running engine on the demo data: load, label a range by
// dragging across the chart, move the sensitivity and see the alerts a
// day change, save, reload and find the label and the saved setting kept.
func TestTuningPageInChromium(t *testing.T) {
	browser := chromiumPath(t)
	addr, eng := startDemo(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 1000),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()

	var (
		mu            sync.Mutex
		consoleErrors []string
	)
	if err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventExceptionThrown); ok && e.ExceptionDetails != nil {
			msg := e.ExceptionDetails.Text
			if x := e.ExceptionDetails.Exception; x != nil {
				msg += " " + x.Description
			}
			mu.Lock()
			consoleErrors = append(consoleErrors, msg)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	url := "http://" + addr + "/tuning"
	// Start the browser without a deadline (chromedp ties the browser's
	// life to the first Run's context), then bound every step.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	ctx, cancel := context.WithTimeout(tab, 3*time.Minute)
	defer cancel()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v (page status: %s)", what, err, pageStatus(ctx))
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	eval := func(expr string) float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	poll := func(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout))
	}
	// loaded waits until the sweep has answered and the figures show.
	loaded := poll(`document.getElementById('alerts-per-day').textContent !== '–' && document.querySelector('#chart path.value') !== null`, 2*time.Minute)

	run("load", chromedp.Navigate(url), loaded)
	monitor := value("#monitor")
	seriesText := text("#series option:checked")
	before := text("#alerts-per-day")

	// Drag across a tenth of the chart, a little right of its middle.
	left, top := eval(`document.getElementById('chart').getBoundingClientRect().left`), eval(`document.getElementById('chart').getBoundingClientRect().top`)
	width, height := eval(`document.getElementById('chart').getBoundingClientRect().width`), eval(`document.getElementById('chart').getBoundingClientRect().height`)
	y := top + height/2
	x0, x1 := left+width*0.55, left+width*0.65
	run("label by dragging",
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.WaitVisible(chromedp.CSS("#label-form")),
		chromedp.SetValue(chromedp.CSS("#label-kind"), "anomaly"),
		chromedp.SendKeys(chromedp.CSS("#label-note"), "incident from the browser test"),
		chromedp.Click(chromedp.CSS("#label-save")),
		chromedp.WaitNotVisible(chromedp.CSS("#label-form")),
		poll(`document.querySelectorAll('#labels-layer rect.label-anomaly').length === 1 && [...document.querySelectorAll('#labels tbody tr')].some((tr) => tr.textContent.includes('incident from the browser test'))`, time.Minute),
	)

	// Slide to the most sensitive setting with the keyboard.
	run("slide", chromedp.Focus(chromedp.CSS("#sensitivity")), chromedp.KeyEvent(kb.End))
	sens, after := value("#sensitivity"), text("#alerts-per-day")
	if sens != "1" || after == before {
		t.Fatalf("the slider at %s shows %s alerts a day, as at the start (%s)", sens, after, before)
	}
	if a, err := strconv.ParseFloat(after, 64); err != nil || a <= 0 {
		t.Errorf("alerts a day at sensitivity 1: %q", after)
	}
	if eval(`document.querySelectorAll('#alerts-layer rect.alert-marker').length`) == 0 {
		t.Error("no would-have-fired alert drawn at the most sensitive setting")
	}

	// Back one notch, then save.
	run("save",
		chromedp.KeyEvent(kb.ArrowLeft),
		chromedp.SendKeys(chromedp.CSS("#save-note"), "tuned in the browser test"),
		chromedp.Click(chromedp.CSS("#save")),
		poll(`document.getElementById('saved-info').textContent.startsWith('saved:')`, 30*time.Second),
	)
	if sens, saved := value("#sensitivity"), text("#saved-info"); sens != "0.95" || !strings.Contains(saved, "sensitivity 0.95") {
		t.Fatalf("slider at %s, saved: %q", sens, saved)
	}

	// Reload: the label and the saved setting are kept.
	run("reload", chromedp.Reload(), loaded, poll(`[...document.querySelectorAll('#labels tbody tr')].some((tr) => tr.textContent.includes('incident from the browser test'))`, time.Minute))
	reSens, reSaved, reSeries := value("#sensitivity"), text("#saved-info"), text("#series option:checked")
	if reSens != "0.95" || !strings.Contains(reSaved, "sensitivity 0.95") || !strings.Contains(reSaved, "tuned in the browser test") {
		t.Errorf("after reload: slider %s, %q", reSens, reSaved)
	}
	if n := eval(`document.querySelectorAll('#labels-layer rect.label-anomaly').length`); n != 1 || reSeries != seriesText {
		t.Errorf("after reload: %v labels drawn on %s (was %s)", n, reSeries, seriesText)
	}

	// The figure of docs/tuning.md: the page as it opens, above the fold.
	if *screenshot {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "docs", "img", "tuning.png")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}

	// And the server has them.
	v, err := eng.TuningOf(monitor)
	if err != nil {
		t.Fatal(err)
	}
	if v.Saved == nil || v.Effective.Sensitivity != 0.95 {
		t.Errorf("engine's tuning of %s: %+v", monitor, v)
	}
	ls, err := eng.Store().Labels(context.Background(), store.LabelFilter{Monitor: monitor, Source: store.SourceHuman})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].Kind != store.LabelAnomaly || ls[0].Note != "incident from the browser test" || !ls[0].To.After(ls[0].From) {
		t.Errorf("stored labels %+v", ls)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(consoleErrors) > 0 {
		t.Errorf("script errors: %v", consoleErrors)
	}
}

// pageStatus reads the page's status line, for failure messages.
func pageStatus(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.getElementById('status').textContent + ' | labels drawn: ' +
		document.querySelectorAll('#labels-layer rect').length + ', label rows: ' + document.querySelectorAll('#labels tbody tr').length`))
	if err != nil {
		return fmt.Sprintf("unreadable: %v", err)
	}
	return s
}
