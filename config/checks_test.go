package config

import (
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/rules/check"
)

func TestChecks(t *testing.T) {
	cfg, err := Parse([]byte(`
global: {timezone: Europe/London}
calendars:
  cn-stock: {timezone: Asia/Shanghai, sessions: ["09:30-11:30"]}
sources:
  accounts: {type: postgres, dsn: "postgres://127.0.0.1/accounts"}
  trading: {type: mysql, dsn: "u@tcp(127.0.0.1:3306)/trading"}
checks:
  - name: cards
    schedule: "0 30 16 * * mon-fri"
    calendar: cn-stock
    active_in: trading_days
    left: {source: accounts, query: "SELECT card_no, status FROM shareholder_card"}
    right: {source: trading, query: "SELECT card_no, status FROM sh_card"}
    key: [card_no]
    compare: [status]
    grace: 30m
  - name: plain
    schedule: "@every 10m"
    left: {source: accounts, query: "SELECT 1 AS k"}
    right: {source: accounts, query: "SELECT 1 AS k"}
    key: [k]
    mode: checksum
`), "/etc/seismo/seismo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Checks[0]
	if c.Timezone != "Asia/Shanghai" || c.Grace.Std() != 30*time.Minute || c.Mode != check.ModeMerge || c.SampleLimit != check.DefaultSampleLimit {
		t.Errorf("check 0: %+v", c)
	}
	p := cfg.Checks[1]
	if p.Timezone != "Europe/London" || p.ActiveIn != ActiveAlways || p.ChunkRows != check.DefaultChunkRows {
		t.Errorf("check 1: %+v", p)
	}
}

func TestCheckErrors(t *testing.T) {
	_, err := Parse([]byte(`
sources:
  db: {type: sqlite, dsn: "x.db"}
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
monitors:
  - name: cards
    schedule: "@every 1m"
    query: {source: vm, expr: up}
checks:
  - name: cards
    schedule: "every minute"
    timezone: Mars/Olympus
    active_in: sessions
    left: {source: vm, query: "SELECT 1"}
    right: {source: db, query: "DELETE FROM cards"}
    key: [k]
    compare: [{column: k}, {column: v, tolrance: 1}]
  - name: second
    schedule: "@every 1m"
    calendar: nope
    left: {source: nowhere, query: "SELECT 1"}
    right: {source: db}
    key: []
`), "seismo.yaml")
	if err == nil {
		t.Fatal("invalid checks accepted")
	}
	for _, want := range []string{
		`seismo.yaml:17:40: checks[0].compare[1].tolrance: unknown field "tolrance"`,
		`seismo.yaml:10:5: checks[0].name: name "cards" is already used by monitors[0]`,
		`seismo.yaml:11:5: checks[0].schedule: invalid cron expression "every minute"`,
		`seismo.yaml:12:5: checks[0].timezone: unknown time zone "Mars/Olympus"`,
		`seismo.yaml:13:5: checks[0].active_in: active_in sessions needs a calendar`,
		`seismo.yaml:14:12: checks[0].left.source: source "vm" is of type prometheus; a check reads postgres, mysql or sqlite sources`,
		`seismo.yaml:15:25: checks[0].right.query: only SELECT or WITH queries are allowed, not DELETE`,
		`seismo.yaml:17:16: checks[0].compare[0].column: "k" is a key column`,
		`seismo.yaml:20:5: checks[1].calendar: unknown calendar "nope" (none are defined)`,
		`seismo.yaml:21:12: checks[1].left.source: unknown source "nowhere" (defined: db, vm)`,
		`seismo.yaml:22:5: checks[1].right.query: a side needs a query`,
		`seismo.yaml:23:5: checks[1].key: a check needs at least one key column`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack\n  %s\ngot:\n%s", want, err)
		}
	}
}
