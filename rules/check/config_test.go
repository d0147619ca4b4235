package check

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/rules/expr"
)

func TestConfigYAML(t *testing.T) {
	src := `
name: shareholder_card_status
schedule: "0 30 16 * * mon-fri"
left:  {source: accounts, query: "SELECT card_no, status FROM shareholder_card", timezone: Asia/Shanghai}
right: {source: trading,  query: "SELECT card_no, status FROM sh_card"}
key: [card_no]
compare:
  - status
  - {column: balance, abs: 0.01}
  - {column: updated_at, time_tolerance: 2s}
  - {column: name, rule: ci, map: {"Zhang San": "ZHANG SAN"}}
grace: 30m
rules:
  - {name: frozen, when: 'left.status == "FROZEN" && right.status == "NORMAL"', severity: critical}
labels: {team: ops}
`
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := []Compare{
		{Column: "status"},
		{Column: "balance", Abs: 0.01},
		{Column: "updated_at", TimeTolerance: field.Duration(2 * time.Second)},
		{Column: "name", Rule: RuleCI, Map: map[string]string{"Zhang San": "ZHANG SAN"}},
	}
	if d := cmp.Diff(want, c.Compare); d != "" {
		t.Errorf("compare (-want +got):\n%s", d)
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	if c.Mode != ModeMerge || c.SampleLimit != DefaultSampleLimit || c.MaxDifferences != DefaultMaxDifferences || c.ChunkRows != 0 {
		t.Errorf("defaults: %+v", c)
	}
	// A compared column written as a mapping rejects unknown keys.
	dec = yaml.NewDecoder(strings.NewReader("compare: [{column: x, tolerance: 1}]"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err == nil || !strings.Contains(err.Error(), "field tolerance not found") {
		t.Errorf("unknown key in compare: %v", err)
	}
	// Round trip: a plain column is written back as its name.
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(Config{Compare: want[:2]}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "- status\n") || !strings.Contains(buf.String(), "abs: 0.01") {
		t.Errorf("marshalled:\n%s", buf.String())
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		return Config{
			Name:  "c",
			Left:  Side{Source: "a", Query: "SELECT 1"},
			Right: Side{Source: "b", Query: "SELECT 1"},
			Key:   []string{"k"},
		}
	}
	tests := []struct {
		name string
		edit func(*Config)
		want []string // "path: message" fragments, in order
	}{
		{"valid", func(*Config) {}, nil},
		{"sides", func(c *Config) { c.Left = Side{}; c.Right.Timezone = "Mars/Olympus" }, []string{
			"left.source: a side needs a source", "left.query: a side needs a query", `right.timezone: unknown time zone "Mars/Olympus"`}},
		{"no key", func(c *Config) { c.Key = nil }, []string{"key: a check needs at least one key column"}},
		{"key twice", func(c *Config) { c.Key = []string{"k", "", "k"} }, []string{"key[1]: empty column name", `key[2]: key column "k" is listed twice`}},
		{"compare", func(c *Config) {
			c.Compare = []Compare{
				{Column: "k"},
				{Column: "a", Rule: "fuzzy"},
				{Column: "b", Rule: RuleExact, Abs: 1},
				{Column: "c", Rel: 1.5},
				{Column: "d", Rule: RuleCI, TimeTolerance: field.Duration(time.Second)},
				{Column: "e", Abs: 1, Map: map[string]string{"x": "y"}},
				{Column: "e"},
				{},
			}
		}, []string{
			`compare[0].column: "k" is a key column`,
			`compare[1].rule: unknown rule "fuzzy"`,
			"compare[2].rule: abs and rel apply to rule numeric, not exact",
			"compare[3].rel: must be in [0, 1)",
			"compare[4].rule: time_tolerance applies to rule time, not ci",
			"compare[5].map: a map applies to rules exact, ci and trim, not numeric",
			`compare[6].column: column "e" is already compared by compare[5]`,
			"compare[7].column: a compared column needs a name",
		}},
		{"durations", func(c *Config) { c.Grace = field.Duration(time.Hour); c.Timeout = field.Duration(time.Minute) }, []string{
			"timeout: timeout (1m) must be longer than grace (1h)"}},
		{"negative grace", func(c *Config) { c.Grace = -1 }, []string{"grace: must not be negative"}},
		{"mode", func(c *Config) { c.Mode = "hash" }, []string{`mode: unknown mode "hash"`}},
		{"chunk rows in merge mode", func(c *Config) { c.ChunkRows = 1000 }, []string{"chunk_rows: applies to mode checksum only"}},
		{"chunk rows too small", func(c *Config) { c.Mode = ModeChecksum; c.ChunkRows = 10 }, []string{"chunk_rows: must be at least 100"}},
		{"limits", func(c *Config) { c.SampleLimit = -1; c.MaxDifferences = 1 << 30 }, []string{
			"sample_limit: must be between 0 and 1000", "max_differences: must be between 0 and 1000000"}},
		{"labels", func(c *Config) { c.Labels = map[string]string{"alertname": "x", "check": "y", "1a": "z", "__x": "w"} }, []string{
			`labels.1a: invalid label name "1a"`, `labels.__x: label names starting with __ are reserved`,
			`labels.alertname: label "alertname" is reserved`, `labels.check: label "check" is reserved`}},
		{"rules", func(c *Config) {
			c.Rules = []expr.RuleConfig{{Name: "a", When: `left.status == "X"`}, {Name: "b", When: `key.card == "1"`}, {Name: "c", When: `left.x ==`}}
		}, []string{`rules[1].when: 1:5: unknown key column "card"`, "rules[2].when: 1:9: unexpected token EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				for _, e := range err.(field.List) {
					got = append(got, e.Error())
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
