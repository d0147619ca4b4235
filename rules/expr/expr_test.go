package expr

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
)

// wantErr checks that err is an *Error at line:col whose message contains msg.
func wantErr(t *testing.T, err error, line, col int, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	if e.Line != line || e.Column != col || !strings.Contains(e.Msg, msg) {
		t.Errorf("error = %q (line %d, column %d), want %d:%d containing %q", e.Error(), e.Line, e.Column, line, col, msg)
	}
}

func TestCompilePointErrors(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"valeu < expected", 1, 1, "unknown name valeu (did you mean value?)"},
		{"value < expectd * 0.5", 1, 9, "unknown name expectd (did you mean expected?)"},
		{"value > \"high\"", 1, 7, "mismatched types float64 and string"},
		{"labels.team == 3", 1, 13, "mismatched types string and int"},
		{"hour(time) >= \"9\"", 1, 12, "mismatched types int and string"},
		{"hour(value) > 9", 1, 6, "cannot use float64 as argument"},
		{"value +", 1, 7, "unexpected token EOF"},
		{"value > 1 &&\n  valeu < 3", 2, 3, "unknown name valeu"},
		{"value", 0, 0, "must be a condition"},
		{"now() > time", 1, 1, "unknown name now"},            // the host's clock is not available
		{"repeat(\"a\", 3) == \"aaa\"", 1, 1, "unknown name"}, // nor unbounded output
		{"left.status == \"x\"", 1, 1, "unknown name left"},   // a row's names are not a point's
		{"", 0, 0, "empty expression"},
		{strings.Repeat("value > 1 || ", 400) + "true", 0, 0, "the limit is 4096"},
		{strings.Repeat("1+", 1500) + "1 > 0", 0, 0, ""}, // over MaxNodes
	}
	for _, tt := range tests {
		_, err := CompilePoint(tt.src)
		if tt.msg == "" {
			if err == nil {
				t.Errorf("CompilePoint(%.40q...) compiled, want an error", tt.src)
			}
			continue
		}
		if err == nil {
			t.Errorf("CompilePoint(%q) compiled, want an error", tt.src)
			continue
		}
		wantErr(t, err, tt.line, tt.col, tt.msg)
	}
}

func TestCompileRowErrors(t *testing.T) {
	opts := []RowOption{Columns("status", "amount", "updated_at"), KeyColumns("card_no")}
	tests := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"left.stauts == \"FROZEN\"", 1, 6, "unknown column \"stauts\" in left.stauts (did you mean status?)"},
		{"left.status == \"FROZEN\" && right[\"balance\"] > 0", 1, 33, "unknown column \"balance\" in right.balance (known: status, amount, updated_at)"},
		{"key.cardno == \"1\"", 1, 5, "unknown key column \"cardno\" in key.cardno (did you mean card_no?)"},
		{"kind == 3", 1, 6, "mismatched types string and int"},
		{"kidn == \"mismatched\"", 1, 1, "unknown name kidn (did you mean kind?)"},
		{"columns > 1", 1, 9, "mismatched types []string and int"},
		{"value < 3", 1, 1, "unknown name value"},
		{"left.status ==", 1, 14, "unexpected token EOF"},
	}
	for _, tt := range tests {
		_, err := CompileRow(tt.src, opts...)
		if err == nil {
			t.Errorf("CompileRow(%q) compiled, want an error", tt.src)
			continue
		}
		wantErr(t, err, tt.line, tt.col, tt.msg)
	}
	// Without declared columns any name goes: values are dynamic.
	if _, err := CompileRow(`left.anything == "x"`); err != nil {
		t.Errorf("CompileRow without Columns: %v", err)
	}
}

func TestRowMatch(t *testing.T) {
	day := time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)
	frozen := RowEnv{
		Left:    map[string]any{"status": "FROZEN", "amount": "100.50", "updated_at": day.Add(-2 * time.Hour), "vip": true},
		Right:   map[string]any{"status": "NORMAL", "amount": int64(100), "updated_at": day.Add(-10 * time.Minute), "vip": nil},
		Key:     map[string]any{"card_no": "A0001", "market": int64(1)},
		Kind:    KindMismatched,
		Columns: []string{"status", "amount"},
		Now:     day,
	}
	missing := RowEnv{
		Left: map[string]any{"status": "NORMAL"},
		Key:  map[string]any{"card_no": "A0002"},
		Kind: KindMissingRight,
		Now:  day,
	}
	tests := []struct {
		src  string
		env  RowEnv
		want bool
	}{
		{`left.status == "FROZEN" && right.status == "NORMAL"`, frozen, true},
		{`left.status == "FROZEN" && right.status == "FROZEN"`, frozen, false},
		{`lower(left.status) == "frozen"`, frozen, true},
		{`kind == "mismatched" && "status" in columns`, frozen, true},
		{`"vip" in columns`, frozen, false},
		{`abs(num(left.amount) - num(right.amount)) > 0.1`, frozen, true},
		{`abs(num(left.amount) - num(right.amount)) > 1`, frozen, false},
		{`key.card_no startsWith "A" && key.market == 1`, frozen, true},
		{`now - left.updated_at > duration("1h")`, frozen, true},
		{`now - right.updated_at > duration("1h")`, frozen, false},
		{`left.vip && right.vip == nil`, frozen, true},
		{`right.status == nil && kind == "missing_right"`, missing, true}, // the missing side is empty
		{`right.status != "NORMAL"`, missing, true},
		{`len(right) == 0 && !("status" in right)`, missing, true},
		{`key.card_no matches "^A000[0-9]$"`, missing, true},
		{`all(columns, {# in ["status", "amount"]})`, frozen, true},
	}
	for _, tt := range tests {
		r, err := CompileRow(tt.src)
		if err != nil {
			t.Errorf("CompileRow(%q): %v", tt.src, err)
			continue
		}
		got, err := r.Match(tt.env)
		if err != nil {
			t.Errorf("%q: Match: %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q = %v, want %v", tt.src, got, tt.want)
		}
		if r.String() != tt.src {
			t.Errorf("String() = %q, want the source", r.String())
		}
	}
}

func TestRowMatchRuntimeErrors(t *testing.T) {
	env := RowEnv{Left: map[string]any{"amount": "12.5x", "status": "OK"}, Right: map[string]any{}}
	tests := []struct{ src, msg string }{
		{`left.amount > 3`, "string > int"},
		{`right.amount > 3`, "<nil> > int"},
		{`num(left.amount) > 3`, `num("12.5x"): not a number`},
		{`num(right.amount) > 3`, "num(nil)"},
		{`all(1..10000000, {# > 0})`, "memory budget exceeded"},
		{`len(map(1..400, {map(1..400, {#})})) > 0`, "memory budget exceeded"},
	}
	for _, tt := range tests {
		r, err := CompileRow(tt.src)
		if err != nil {
			t.Fatalf("CompileRow(%q): %v", tt.src, err)
		}
		got, err := r.Match(env)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: Match = %v, %v; want an error containing %q", tt.src, got, err, tt.msg)
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Line != 1 || e.Column < 1) {
			t.Errorf("%q: error %q has no position", tt.src, err)
		}
	}
}

func TestPointMatch(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2026-03-02 10:15 in Shanghai.
	at := time.Date(2026, 3, 2, 10, 15, 0, 0, sh)
	drop := PointEnv{Value: 40, Expected: 100, Lower: 80, Upper: 120, Score: 0.93, Anomaly: true, Time: at,
		Labels: map[string]string{"alertname": "account_openings", "channel": "app", "team": "accounts"}}
	tests := []struct {
		src  string
		env  PointEnv
		want bool
	}{
		{`value < expected * 0.5 && hour(time) >= 9`, drop, true},
		{`value < expected * 0.3`, drop, false},
		{`pct_change(value, expected) <= -60`, drop, true},
		{`pct_change(value, expected) < -61`, drop, false},
		{`weekday(time) == "mon" && clock(time) >= "09:30" && clock(time) < "11:30"`, drop, true},
		{`weekday(time) in ["sat", "sun"]`, drop, false},
		{`minute(time) == 15 && time.Hour() == 10`, drop, true},
		{`labels.channel == "app" && labels.team == "accounts"`, drop, true},
		{`labels.missing == ""`, drop, true}, // an absent label reads empty, as in PromQL
		{`anomaly && score > 0.9 && value < lower`, drop, true},
		{`abs(value - expected) > upper - lower`, drop, true},
		{`pct_change(value, 200) == -80`, drop, true},
	}
	for _, tt := range tests {
		r, err := CompilePoint(tt.src)
		if err != nil {
			t.Errorf("CompilePoint(%q): %v", tt.src, err)
			continue
		}
		got, err := r.Match(tt.env)
		if err != nil {
			t.Errorf("%q: Match: %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestPctChange(t *testing.T) {
	tests := []struct{ a, b, want float64 }{
		{110, 100, 10},
		{50, 100, -50},
		{-50, -100, 50}, // from -100 up to -50 is growth
		{0, 0, 0},
		{5, 0, math.Inf(1)},
		{-5, 0, math.Inf(-1)},
	}
	for _, tt := range tests {
		if got := PctChange(tt.a, tt.b); got != tt.want {
			t.Errorf("PctChange(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if got := PctChange(math.NaN(), 0); !math.IsNaN(got) {
		t.Errorf("PctChange(NaN, 0) = %v, want NaN", got)
	}
}

func TestRuleConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  RuleConfig
		want []string // "path: message fragment"
	}{
		{"ok", RuleConfig{Name: "frozen", When: "true", Severity: "critical", Labels: map[string]string{"team": "cards"}}, nil},
		{"no name", RuleConfig{When: "true"}, []string{"name: a rule needs a name"}},
		{"bad name", RuleConfig{Name: "9x", When: "true"}, []string{"name: invalid rule name"}},
		{"bad action", RuleConfig{Name: "x", Action: "drop"}, []string{"action: unknown action \"drop\""}},
		{"suppress with labels", RuleConfig{Name: "x", Action: ActionSuppress, Severity: "info"}, []string{"action: a suppress rule drops"}},
		{"bad label", RuleConfig{Name: "x", Labels: map[string]string{"a-b": "1", "__x": "2", "alertname": "y"}},
			[]string{"labels.__x: label names starting with __", "labels.a-b: invalid label name", "labels.alertname: label \"alertname\" is reserved"}},
		{"severity twice", RuleConfig{Name: "x", Severity: "critical", Labels: map[string]string{"severity": "warning"}},
			[]string{"labels.severity: set the severity either"}},
		{"severity spaces", RuleConfig{Name: "x", Severity: " critical"}, []string{"severity: severity \" critical\" has leading"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFieldErrors(t, tt.cfg.Validate(), tt.want)
		})
	}
}

// checkFieldErrors compares a field.List with "path: fragment" wants, in order.
func checkFieldErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var list field.List
	if !errors.As(err, &list) {
		t.Fatalf("error = %v, want a field.List", err)
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, e := range list {
		if got := e.Path + ": " + e.Err.Error(); !strings.HasPrefix(got, want[i]) && !strings.Contains(got, want[i]) {
			t.Errorf("error %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestCompileRuleSetErrors(t *testing.T) {
	cfgs := []RuleConfig{
		{Name: "a", When: `valeu < 1`},
		{Name: "a", When: `value < 1`},
		{Name: "b", When: ""},
		{Name: "c", When: `value < 1`, Action: ActionRaise},
	}
	_, err := CompilePointRules(cfgs)
	checkFieldErrors(t, err, []string{
		"[0].when: 1:1: unknown name valeu (did you mean value?)",
		"[1].name: rule name \"a\" is already used by [0]",
		"[2].when: a rule needs a when expression",
	})
	_, err = CompileRowRules([]RuleConfig{{Name: "r", When: `kind == "mismatched"`, Action: ActionRaise}})
	checkFieldErrors(t, err, []string{"[0].action: action raise applies to a monitor's points only"})
}

func TestPointRulesEvaluate(t *testing.T) {
	rules, err := CompilePointRules([]RuleConfig{
		{Name: "overnight", When: `hour(time) < 6`, Action: ActionSuppress},
		{Name: "deep_drop", When: `value < expected * 0.5`, Severity: "critical", Annotations: map[string]string{"runbook": "call the desk"}},
		{Name: "drop", When: `value < expected`, Severity: "warning"},
		{Name: "zero", When: `value == 0 && expected > 10`, Action: ActionRaise, Severity: "critical", Labels: map[string]string{"cause": "outage"}},
		{Name: "broken", When: `labels.x == "y" && 1 / (value - value) > 0 && value > 1e300`}, // never matches, never fails (float division)
	})
	if err != nil {
		t.Fatal(err)
	}
	at := func(h int) time.Time { return time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		env  PointEnv
		want Verdict
	}{
		{"flagged deep drop", PointEnv{Value: 40, Expected: 100, Anomaly: true, Time: at(10)},
			Verdict{Rule: "deep_drop", Labels: map[string]string{"severity": "critical"}, Annotations: map[string]string{"runbook": "call the desk"}}},
		{"flagged drop", PointEnv{Value: 70, Expected: 100, Anomaly: true, Time: at(10)},
			Verdict{Rule: "drop", Labels: map[string]string{"severity": "warning"}}},
		{"flagged spike: no rule", PointEnv{Value: 170, Expected: 100, Anomaly: true, Time: at(10)}, Verdict{}},
		{"overnight suppressed", PointEnv{Value: 40, Expected: 100, Anomaly: true, Time: at(3)},
			Verdict{Rule: "overnight", Suppressed: true}},
		{"unflagged drop: label rules do not raise", PointEnv{Value: 40, Expected: 100, Time: at(10)}, Verdict{}},
		{"unflagged zero raised", PointEnv{Value: 0, Expected: 50, Time: at(10)},
			Verdict{Rule: "zero", Raise: true, Labels: map[string]string{"severity": "critical", "cause": "outage"}}},
		{"flagged zero: first label rule wins", PointEnv{Value: 0, Expected: 50, Anomaly: true, Time: at(10)},
			Verdict{Rule: "deep_drop", Labels: map[string]string{"severity": "critical"}, Annotations: map[string]string{"runbook": "call the desk"}}},
		{"unflagged zero overnight: suppress wins", PointEnv{Value: 0, Expected: 50, Time: at(2)},
			Verdict{Rule: "overnight", Suppressed: true}},
	}
	for _, tt := range tests {
		got, err := rules.Evaluate(tt.env)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: verdict (-want +got):\n%s", tt.name, diff)
		}
	}
	if got, want := rules.VariantLabels(), []map[string]string{{"severity": "critical"}, {"severity": "warning"}, {"severity": "critical", "cause": "outage"}}; !cmp.Equal(got, want) {
		t.Errorf("VariantLabels = %v, want %v", got, want)
	}
	var none *PointRules
	if v, err := none.Evaluate(PointEnv{Anomaly: true}); err != nil || !cmp.Equal(v, Verdict{}) || none.Len() != 0 {
		t.Errorf("nil rules: %+v, %v", v, err)
	}
}

func TestRowRulesEvaluateFailingRule(t *testing.T) {
	rules, err := CompileRowRules([]RuleConfig{
		{Name: "amount", When: `num(left.amount) > 1000`, Severity: "critical"},
		{Name: "frozen", When: `left.status == "FROZEN"`, Severity: "warning"},
		{Name: "closed", When: `kind == "missing_right" && left.status == "CLOSED"`, Action: ActionSuppress},
	}, Columns("status", "amount"))
	if err != nil {
		t.Fatal(err)
	}
	// num fails on the missing amount: the rule counts as not matching,
	// the next one decides, and the error is reported.
	v, err := rules.Evaluate(RowEnv{Left: map[string]any{"status": "FROZEN"}, Right: map[string]any{"status": "NORMAL", "amount": 5.0}, Kind: KindMismatched})
	if err == nil || !strings.Contains(err.Error(), `rule "amount"`) {
		t.Errorf("error = %v, want one naming rule \"amount\"", err)
	}
	if want := (Verdict{Rule: "frozen", Labels: map[string]string{"severity": "warning"}}); !cmp.Equal(v, want) {
		t.Errorf("verdict = %+v, want %+v", v, want)
	}
	v, err = rules.Evaluate(RowEnv{Left: map[string]any{"status": "CLOSED", "amount": int64(3)}, Right: map[string]any{}, Kind: KindMissingRight})
	if err != nil || !v.Suppressed || v.Rule != "closed" {
		t.Errorf("suppress: %+v, %v", v, err)
	}
	if rules.Len() != 3 {
		t.Errorf("Len = %d", rules.Len())
	}
}

func TestRulesConcurrent(t *testing.T) {
	r, err := CompilePoint(`value > expected && labels.a == "b"`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for i := range 8 {
		go func() {
			ok := true
			for j := range 200 {
				got, err := r.Match(PointEnv{Value: float64(i + j), Expected: 3, Labels: map[string]string{"a": "b"}})
				ok = ok && err == nil && got == (i+j > 3)
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a concurrent Match gave a wrong result")
		}
	}
}

// FuzzCompile feeds arbitrary text to both compilers: they must return a
// rule or an error, never panic, and a compiled rule must evaluate (to a
// result or an error) on a typical environment without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`left.status == "FROZEN" && right.status == "NORMAL"`,
		`value < expected * 0.5 && hour(time) >= 9`,
		`all(columns, {# in ["a"]}) || key.x matches "^a+$"`,
		`pct_change(value, expected) < -50 ? true : false`,
		`let x = value; x > 1`,
		`1..3 | map(# * 2) | sum() > 1`,
		"(((", `"\u00e9" + 'x'`, `left?.a ?? 1 > 0`,
	} {
		f.Add(s)
	}
	row := RowEnv{Left: map[string]any{"a": 1.0, "status": "FROZEN"}, Right: map[string]any{"status": nil},
		Key: map[string]any{"x": "aa"}, Kind: KindMismatched, Columns: []string{"a"}, Now: time.Unix(0, 0)}
	point := PointEnv{Value: 1, Expected: 2, Time: time.Unix(0, 0).UTC(), Labels: map[string]string{"a": "b"}}
	f.Fuzz(func(t *testing.T, src string) {
		if r, err := CompileRow(src, Columns("a", "status"), KeyColumns("x")); err == nil {
			_, _ = r.Match(row)
		} else if e := new(Error); !errors.As(err, &e) {
			t.Fatalf("CompileRow error %v is %T, want *Error", err, err)
		}
		if r, err := CompilePoint(src); err == nil {
			_, _ = r.Match(point)
		}
	})
}
