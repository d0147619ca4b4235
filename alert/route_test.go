package alert

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// validConfig is a small valid configuration with receivers a, b and c.
func validConfig() Config {
	c := Config{
		Route: Route{Receiver: "a", GroupBy: []string{"alertname"}},
		Receivers: []ReceiverConfig{
			{Name: "a", LogConfigs: []LogConfig{{}}},
			{Name: "b", LogConfigs: []LogConfig{{}}},
			{Name: "c", WebhookConfigs: []WebhookConfig{{URL: literal("https://hooks.example.com/x?token=s3cr3t")}}},
		},
	}
	c.ApplyDefaults()
	return c
}

// loadConfig decodes an alerting section from YAML the way the config
// loader does (unknown keys rejected, defaults applied, secrets resolved),
// with relative paths taken from the working directory.
func loadConfig(t *testing.T, src string) Config {
	t.Helper()
	return loadConfigIn(t, src, "")
}

// loadConfigIn is loadConfig for a file in dir: secret files, template
// globs and TLS files are relative to it, as the config loader makes them.
func loadConfigIn(t *testing.T, src, dir string) Config {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode: %v", err)
	}
	c.ApplyDefaults()
	for _, ref := range c.Secrets() {
		if err := ref.Secret.Resolve(dir); err != nil {
			t.Fatalf("%s: %v", ref.Path, err)
		}
	}
	c.ResolvePaths(dir)
	return c
}

func compileOrFail(t *testing.T, c Config) *routing {
	t.Helper()
	rt, errs := compileConfig(&c, nil)
	if len(errs) > 0 {
		t.Fatalf("config does not compile:\n%v", errs)
	}
	return rt
}

// routeReceivers returns the receivers of the routes ls matches, in order.
func routeReceivers(rt *routing, ls labels.Labels) []string {
	var out []string
	for _, r := range rt.root.match(ls, nil) {
		out = append(out, r.receiver)
	}
	return out
}

// TestAlertmanagerConfig loads an Alertmanager configuration written in
// Alertmanager's documented syntax, unchanged, and checks where alerts go.
// The expectations follow Alertmanager's routing rules: the first
// matching child wins unless it continues, a route with no matching child
// notifies itself, and children inherit what they do not set.
func TestAlertmanagerConfig(t *testing.T) {
	src, err := os.ReadFile("testdata/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := loadConfigIn(t, string(src), "testdata")
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate:\n%v", err)
	}
	if _, err := NewManager(c, Options{Logger: quietLogger}); err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	rt := compileOrFail(t, c)

	tests := []struct {
		labels []string
		want   []string
	}{
		{[]string{"service", "pay-ledger", "severity", "critical"}, []string{"payments-pager"}},
		{[]string{"service", "pay-ledger", "severity", "warning"}, []string{"payments-mail"}},
		{[]string{"service", "pay-ledger2", "severity", "warning"}, []string{"ops-default"}}, // anchored regex
		{[]string{"service", "clearing", "severity", "critical"}, []string{"clearing-pager"}},
		{[]string{"service", "clearing", "severity", "critical", "env", "staging"}, []string{"clearing-mail"}},
		{[]string{"service", "database", "severity", "critical", "owner", "payments"}, []string{"payments-pager", "dba-pager"}},
		{[]string{"service", "database", "severity", "warning", "owner", "cards"}, []string{"dba-pager"}},
		{[]string{"service", "database", "severity", "warning", "owner", "other"}, []string{"dba-mail"}},
		{[]string{"service", "database", "severity", "info"}, []string{"ops-default"}}, // the info route
		{[]string{"team", "frontend", "env", "prod"}, []string{"frontend"}},
		{[]string{"team", "frontend", "env", "dev"}, []string{"ops-default"}},
		{[]string{"severity", "critical", "service", "batch"}, []string{"ops-default"}},
		{nil, []string{"ops-default"}},
	}
	for _, tt := range tests {
		ls := labels.FromStrings(append([]string{"alertname", "X"}, tt.labels...)...)
		if diff := cmp.Diff(tt.want, routeReceivers(rt, ls)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", ls, diff)
		}
	}

	// Inheritance and per-route values.
	byPath := map[string]*route{}
	for _, r := range rt.routes {
		byPath[r.path] = r
	}
	check := func(path string, wait, interval, repeat time.Duration, groupBy string) {
		t.Helper()
		r := byPath[path]
		if r == nil {
			t.Fatalf("no route %s", path)
		}
		gb := strings.Join(r.groupBy, ",")
		if r.groupByAll {
			gb = "..."
		}
		if r.groupWait != wait || r.groupInterval != interval || r.repeatInterval != repeat || gb != groupBy {
			t.Errorf("%s: wait %v interval %v repeat %v group_by %s; want %v %v %v %s",
				path, r.groupWait, r.groupInterval, r.repeatInterval, gb, wait, interval, repeat, groupBy)
		}
	}
	check("route", 30*time.Second, 5*time.Minute, 3*time.Hour, "alertname,cluster,service")
	check("route.routes[0]", 30*time.Second, 5*time.Minute, 3*time.Hour, "alertname,cluster,service")
	check("route.routes[0].routes[0]", 0, 5*time.Minute, 30*time.Minute, "alertname,cluster,service")
	check("route.routes[2].routes[1]", 30*time.Second, 5*time.Minute, 3*time.Hour, "alertname,cluster,database")
	check("route.routes[3]", 30*time.Second, 5*time.Minute, 3*time.Hour, "...")
	if r := byPath["route.routes[3]"]; fmt.Sprint(r.muteNames) != "[weekend-deploys year-end-freeze]" {
		t.Errorf("mute intervals %v", r.muteNames)
	}
	if r := byPath["route.routes[5]"]; r.escalateAfter != 15*time.Minute || r.escalateTo != "duty-manager" {
		t.Errorf("escalation %v → %q", r.escalateAfter, r.escalateTo)
	}
	if len(rt.inhibit) != 2 || fmt.Sprint(rt.inhibit[1].equal) != "[datacenter]" {
		t.Errorf("inhibit rules: %+v", rt.inhibit)
	}
	// Route IDs are Alertmanager-style paths of matchers.
	if id := byPath["route.routes[0].routes[0]"].id; id != `{}/{service=~"pay-gateway|pay-ledger|card-auth"}/{severity="critical"}` {
		t.Errorf("route id %s", id)
	}
}

func TestRouteExplicitZeroGroupWait(t *testing.T) {
	c := loadConfig(t, `
route:
  receiver: a
  group_wait: 40s
  routes:
    - {matchers: [x="1"], group_wait: 0s}
    - {matchers: [x="2"]}
    - {matchers: [x="3"], group_wait: 5s}
receivers: [{name: a, log_configs: [{}]}]
`)
	rt := compileOrFail(t, c)
	var got []time.Duration
	for _, r := range rt.routes {
		got = append(got, r.groupWait)
	}
	want := []time.Duration{40 * time.Second, 0, 40 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group_wait per route (-want +got):\n%s", diff)
	}
	// ApplyDefaults again (NewManager does it on its copy) changes nothing.
	c.ApplyDefaults()
	if diff := cmp.Diff(want[1], compileOrFail(t, c).routes[1].groupWait); diff != "" {
		t.Error(diff)
	}
}

// TestRouteYAMLErrors: unknown keys and undecodable values in routes are
// reported by Validate with their paths, and a route with a problem keeps
// its place in the list (yaml.v3 drops list items whose unmarshaler
// fails, which would shift the paths of every later sibling).
func TestRouteYAMLErrors(t *testing.T) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(`
route:
  receiver: a
  routes:
    - matchers: [x="1", 'y=~"("']
      recevier: b
      routes:
        - {matchers: [y="2"], group_wiat: 1s}
    - matchers: [x="2"]
      group_wait: soon
      continue: maybe
      receiver: nobody
    - matchers: [x="3"]
      receiver: a
      receiver: b
receivers: [{name: a, log_configs: [{}]}]
`))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode: %v", err)
	}
	c.ApplyDefaults()
	err := c.Validate()
	want := []string{
		"route.routes[0].matchers[1]",
		"route.routes[0].recevier",
		"route.routes[0].routes[0].group_wiat",
		"route.routes[1].continue",
		"route.routes[1].group_wait",
		"route.routes[1].receiver",
		"route.routes[2].receiver",
	}
	if diff := cmp.Diff(want, errorPaths(t, err)); diff != "" {
		t.Fatalf("paths (-want +got):\n%s\n%v", diff, err)
	}
	for _, msg := range []string{`unknown field "recevier"`, `invalid duration "soon"`, `key "receiver" already defined at line 14`, "cannot unmarshal"} {
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("errors lack %q:\n%v", msg, err)
		}
	}
	if strings.Contains(err.Error(), "line ") && !strings.Contains(err.Error(), "already defined at line") {
		t.Errorf("a message keeps yaml's line prefix (the loader adds positions):\n%v", err)
	}
}

func TestValidateRouting(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // error paths
		msg    string   // in the error text
	}{
		{"valid tree", func(c *Config) {
			c.Route.Routes = []Route{
				{Matchers: []string{`team="x"`}, Receiver: "b", Routes: []Route{{Matchers: []string{`severity="critical"`}, Receiver: "c"}}},
				{Matchers: []string{`team="y"`}, Continue: true},
				{Receiver: "c"}, // a catch-all last is fine
			}
		}, nil, ""},
		{"bad regex", func(c *Config) {
			c.Route.Routes = []Route{{}, {}, {Matchers: []string{`a="ok"`, `b=~"a("`}}}
			c.Route.Routes[0].Matchers = []string{"x=1"}
			c.Route.Routes[1].Matchers = []string{"x=2"}
		}, []string{"route.routes[2].matchers[1]"}, `invalid regex "a("`},
		{"bad matcher syntax", func(c *Config) { c.Route.Routes = []Route{{Matchers: []string{`a==b`}}} }, []string{"route.routes[0].matchers[0]"}, "=="},
		{"legacy maps", func(c *Config) {
			c.Route.Routes = []Route{{Match: map[string]string{"a b": "x"}, MatchRE: map[string]string{"env": "(prod"}}}
		}, []string{"route.routes[0].match.a b", "route.routes[0].match_re.env"}, "invalid"},
		{"unknown receivers", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{"x=1"}, Receiver: "pager", Routes: []Route{{Matchers: []string{"y=1"}, Receiver: "nope"}}}}
		}, []string{"route.routes[0].receiver", "route.routes[0].routes[0].receiver"}, `undefined receiver "pager" (known: a, b, c)`},
		{"unreachable after catch-all", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{"x=1"}}, {Receiver: "b"}, {Matchers: []string{"y=1"}}, {Matchers: []string{"z=1"}}}
		}, []string{"route.routes[2]", "route.routes[3]"}, "routes[1] before it matches every alert"},
		{"regex catch-all", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{`team=~".*"`}}, {Matchers: []string{"y=1"}}}
		}, []string{"route.routes[1]"}, "unreachable"},
		{"catch-all with continue is fine", func(c *Config) {
			c.Route.Routes = []Route{{Receiver: "b", Continue: true}, {Matchers: []string{"y=1"}}}
		}, nil, ""},
		{"child contradicts parent", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{`team="payments"`}, Routes: []Route{
				{Matchers: []string{`team="cards"`}},
				{Matchers: []string{`team=~"cards|loans"`}},
				{Matchers: []string{`team!="payments"`}},
				{Matchers: []string{`team=~"pay.*"`}}, // fine
			}}}
		}, []string{"route.routes[0].routes[0].matchers", "route.routes[0].routes[1].matchers", "route.routes[0].routes[2].matchers"}, "can never match"},
		{"own matchers contradict", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{`{a="1", a="2"}`}}}
		}, []string{"route.routes[0].matchers"}, `no value of label "a"`},
		{"root rules", func(c *Config) {
			c.Route.Matchers = []string{"a=b"}
			c.Route.Continue = true
			c.Route.MuteTimeIntervals = []string{"x"}
			c.TimeIntervals = []TimeIntervalConfig{{Name: "x"}}
		}, []string{"route.continue", "route.matchers", "route.mute_time_intervals"}, "root"},
		{"durations", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{"x=1"}, GroupWait: -1, GroupInterval: -1, RepeatInterval: -1}}
			c.Route.Routes[0].explicit = setGroupInterval
			c.SilenceRetention = -1
			c.NotificationRetention = -1
		}, []string{"notification_retention", "route.routes[0].group_interval", "route.routes[0].group_wait", "route.routes[0].repeat_interval", "silence_retention"}, "negative"},
		{"explicit zero interval", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{"x=1"}, explicit: setRepeatInterval}}
		}, []string{"route.routes[0].repeat_interval"}, "must be positive"},
		{"child group_by", func(c *Config) {
			c.Route.Routes = []Route{{Matchers: []string{"x=1"}, GroupBy: []string{"...", "a"}}}
		}, []string{"route.routes[0].group_by[0]"}, "cannot be combined"},
		{"escalation", func(c *Config) {
			c.Route.Routes = []Route{
				{Matchers: []string{"x=1"}, EscalateAfter: field.Duration(time.Minute)},
				{Matchers: []string{"x=2"}, EscalateTo: "b"},
				{Matchers: []string{"x=3"}, EscalateTo: "boss", EscalateAfter: field.Duration(time.Minute)},
				{Matchers: []string{"x=4"}, EscalateTo: "b", EscalateAfter: -1},
				{Matchers: []string{"x=5"}, EscalateTo: "b", EscalateAfter: field.Duration(time.Minute)},
			}
		}, []string{"route.routes[0].escalate_to", "route.routes[1].escalate_after", "route.routes[2].escalate_to", "route.routes[3].escalate_after"}, "escalate"},
		{"inhibit rules", func(c *Config) {
			c.InhibitRules = []InhibitRule{
				{SourceMatchers: []string{`severity="critical"`}, TargetMatchers: []string{`severity="warning"`}, Equal: []string{"alertname"}},
				{SourceMatchers: []string{`a=~"("`}, TargetMatchers: []string{`b`}, Equal: []string{"x", "x", "9"}},
				{},
				{SourceMatch: map[string]string{"a": "1"}, TargetMatchRE: map[string]string{"b": "["}},
				{SourceMatchers: []string{`{a="1",a="2"}`}, TargetMatchers: []string{"b=1"}},
			}
		}, []string{"inhibit_rules[1].equal[1]", "inhibit_rules[1].equal[2]", "inhibit_rules[1].source_matchers[0]", "inhibit_rules[1].target_matchers[0]", "inhibit_rules[2]", "inhibit_rules[3].target_match_re.b", "inhibit_rules[4].source_matchers"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.modify(&c)
			err := c.Validate()
			if diff := cmp.Diff(tt.want, errorPaths(t, err)); diff != "" {
				t.Fatalf("error paths (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error does not say %q:\n%v", tt.msg, err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

// TestChildIndex checks that the label index over many children routes
// exactly as testing every child in order does.
func TestChildIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	teams := []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"}
	var routes []Route
	for i := range 60 {
		var ms []string
		switch rng.IntN(5) {
		case 0:
			ms = []string{fmt.Sprintf(`team=%q`, teams[rng.IntN(len(teams))])}
		case 1:
			ms = []string{fmt.Sprintf(`team=~"%s|%s"`, teams[rng.IntN(8)], teams[rng.IntN(8)]), `severity="critical"`}
		case 2:
			ms = []string{fmt.Sprintf(`service="s%d"`, rng.IntN(5))}
		case 3:
			ms = []string{`severity!="info"`, fmt.Sprintf(`service=~"s[%d-9]"`, rng.IntN(9))}
		case 4:
			ms = []string{fmt.Sprintf(`env=~"%s.*"`, []string{"p", "s", "d"}[rng.IntN(3)])}
		}
		routes = append(routes, Route{Matchers: ms, Continue: rng.IntN(4) == 0, Receiver: fmt.Sprint([]string{"a", "b", "c"}[i%3])})
	}
	c := validConfig()
	c.Route.Routes = routes
	rt := compileOrFail(t, c)
	if rt.root.index == nil {
		t.Fatal("no index over 60 children")
	}
	plain := *rt.root
	plain.index = nil
	for range 5000 {
		ls := labels.FromStrings(
			"env", []string{"prod", "staging", "dev", ""}[rng.IntN(4)],
			"service", fmt.Sprintf("s%d", rng.IntN(10)),
			"severity", []string{"critical", "warning", "info"}[rng.IntN(3)],
			"team", teams[rng.IntN(len(teams))],
		)
		got, want := rt.root.match(ls, nil), plain.match(ls, nil)
		if len(got) != len(want) {
			t.Fatalf("%s: indexed %d routes, plain %d", ls, len(got), len(want))
		}
		for i := range got {
			if got[i].path != want[i].path {
				t.Fatalf("%s: route %d differs: %s vs %s", ls, i, got[i].path, want[i].path)
			}
		}
	}
}
