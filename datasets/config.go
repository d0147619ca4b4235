package datasets

import (
	"bytes"
	_ "embed"
	"fmt"
	"text/template"
	"time"
)

// DemoSeed is the seed of the demo source in DemoConfig.
const DemoSeed = 42

//go:embed demo.yaml.tmpl
var demoTemplate string

// demoMonitor is one monitor of the demo configuration.
type demoMonitor struct {
	Name, Expr     string
	MinAbsolute    float64 // in the metric's unit
	MinRelative    float64 // fraction of the expected value
	Team, Severity string
}

// demoMonitors returns the demo's monitors, one per metric family. The
// minimum deviations keep ordinary noise quiet. Small counts have heavier
// tails than the detector's robust scale assumes (a night-time median of 0
// gives a near-zero scale, so 3 openings in a minute would alert), hence
// at least 5 accounts and 40% for openings; p99 latency is right-skewed,
// hence +50% and 10ms. TestDemoQuality measures the effect.
func demoMonitors() []demoMonitor {
	return []demoMonitor{
		{Name: "account_openings", Expr: MetricAccountOpenings, MinAbsolute: 5, MinRelative: 0.4, Team: "accounts", Severity: "warning"},
		{Name: "trade_count", Expr: MetricTradeCount, MinAbsolute: 200, MinRelative: 0.2, Team: "trading", Severity: "critical"},
		{Name: "order_latency", Expr: MetricOrderLatency, MinAbsolute: 10, MinRelative: 0.5, Team: "oms", Severity: "critical"},
	}
}

// DemoConfig returns the YAML configuration `make run` uses: the demo
// source, the cn-stock calendar, one monitor per metric family and a
// console receiver. now fixes the calendar's one holiday: the most recent
// weekday strictly before now's date in Shanghai, so that it lies inside
// the monitors' five-day backfill. Five days, so that whatever the day the
// demo starts on, the backfill holds trading days as well as the holiday
// and a weekend.
func DemoConfig(now time.Time) []byte {
	// The template is a compile-time constant: a parse or execution error
	// is a bug that every test run catches, not bad input.
	tmpl := template.Must(template.New("demo.yaml").Parse(demoTemplate))
	var buf bytes.Buffer
	err := tmpl.Execute(&buf, struct {
		Seed     int64
		Holiday  string
		Monitors []demoMonitor
	}{DemoSeed, DemoHoliday(now).Format(time.DateOnly), demoMonitors()})
	if err != nil {
		panic(fmt.Sprintf("datasets: render demo config: %v", err))
	}
	return buf.Bytes()
}

// DemoHoliday returns midnight (UTC+8) of the most recent weekday strictly
// before now's date in Shanghai: the holiday DemoConfig declares.
func DemoHoliday(now time.Time) time.Time {
	// China has no daylight saving time: a fixed zone is exact and needs no
	// time zone database.
	cst := time.FixedZone("CST", 8*60*60)
	y, m, d := now.In(cst).Date()
	day := time.Date(y, m, d-1, 0, 0, 0, 0, cst)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, -1)
	}
	return day
}
