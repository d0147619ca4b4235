package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/source"
)

func TestLogStreams(t *testing.T) {
	cfg, err := Parse([]byte(`
sources:
  applog: {type: file, path: "logs/*.log", start_at: beginning}
logs:
  - name: app
    input: applog
    format: {type: pattern, pattern: "<Date> <Time> <Level> <Content>"}
    multiline: {start: '^\d{4}-'}
    miner: {similarity_threshold: 0.6}
    absorption: 30m
    rate: {step: 5m, history: 3d}
    labels: {team: ops}
`), "/etc/seismo/seismo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Logs[0]
	if got := cfg.Sources["applog"].Path; got != filepath.Join("/etc/seismo", "logs/*.log") {
		t.Errorf("path = %q, want it relative to the config's folder", got)
	}
	if s.Absorption.Std() != 30*time.Minute || s.Rate.Step.Std() != 5*time.Minute || len(s.AlertOn) != 3 ||
		s.Multiline.MaxLines != source.DefaultMultilineMaxLines || s.Miner.Depth == 0 || s.Rate.Detector.Type == "" ||
		s.Timeout != DefaultJobTimeout || s.Rate.MinCount != DefaultLogMinCount || s.Examples != DefaultLogExamples {
		t.Errorf("defaults not applied: %+v", s)
	}
}

func TestLogStreamErrors(t *testing.T) {
	_, err := Parse([]byte(`
sources:
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
  applog: {type: file, path: "a.log"}
monitors:
  - name: app
    schedule: "@every 1m"
    query: {source: applog, expr: x}
logs:
  - name: app
    input: vm
    format: {type: pattern, pattern: "<Time>"}
    alert_on: [new_template, typo]
    rate: {step: 7m}
    labels: {template_id: x}
  - name: other
    input: nowhere
    multiline: {start: "("}
    miner: {depth: 1}
`), "seismo.yaml")
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		"seismo.yaml:8:29: monitors[0].query.expr: a file source is a log input",
		`logs[0].name: name "app" is already used by monitors[0]`,
		`logs[0].input: source "vm" is of type prometheus, not a log input`,
		"logs[0].format.pattern: log format \"<Time>\": no Content field",
		`logs[0].alert_on[1]: unknown event "typo"`,
		"logs[0].rate.step: step (7m) must divide a day",
		`logs[0].labels.template_id: label "template_id" is reserved`,
		`logs[1].input: unknown source "nowhere"`,
		"logs[1].multiline.start: invalid regular expression",
		"logs[1].miner.depth: must be between 3 and 16",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}
