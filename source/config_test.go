package source

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
)

func TestApplyDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{
			name: "prometheus",
			in:   Config{Type: TypePrometheus, URL: "http://vm:8428"},
			want: Config{Type: TypePrometheus, URL: "http://vm:8428", Dialect: DialectMetricsQL, MaxPoints: 10000,
				Timeout: field.Duration(30 * time.Second), Retries: 3},
		},
		{
			name: "postgres dsn_env",
			in:   Config{Type: TypePostgres, DSNEnv: "ACCOUNTS_DSN", Retries: -1},
			want: Config{Type: TypePostgres, DSN: field.FromEnv("ACCOUNTS_DSN"), Timeout: field.Duration(30 * time.Second), Retries: -1},
		},
		{
			name: "dsn and dsn_env both kept for Validate",
			in:   Config{Type: TypeMySQL, DSN: field.Secret{Literal: "x"}, DSNEnv: "E"},
			want: Config{Type: TypeMySQL, DSN: field.Secret{Literal: "x"}, DSNEnv: "E", Timeout: field.Duration(30 * time.Second), Retries: 3},
		},
		{
			name: "csv",
			in:   Config{Type: TypeCSV, Path: "a.csv"},
			want: Config{Type: TypeCSV, Path: "a.csv", TimeColumn: "timestamp"},
		},
		{
			name: "demo untouched",
			in:   Config{Type: TypeDemo, Seed: 7},
			want: Config{Type: TypeDemo, Seed: 7},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in
			got.ApplyDefaults()
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(field.Secret{})); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if err := got.Validate(); err != nil && tc.name != "dsn and dsn_env both kept for Validate" {
				t.Errorf("defaulted config does not validate: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // "path: message fragment"
	}{
		{"no type", Config{}, []string{"type: required (one of csv, demo, file, kafka, mysql, postgres, prometheus, sqlite, stdin)"}},
		{"unknown type", Config{Type: "influx"}, []string{`type: unknown source type "influx" (valid: csv, demo, file, kafka, mysql, postgres, prometheus, sqlite, stdin)`}},
		{"prometheus ok", Config{Type: TypePrometheus, URL: "https://vm.example:8428/select/0/prometheus", Headers: map[string]string{"X-Scope-OrgID": "a"}}, nil},
		{"prometheus no url", Config{Type: TypePrometheus}, []string{"url: required"}},
		{"prometheus bad scheme", Config{Type: TypePrometheus, URL: "ftp://x"}, []string{"url: invalid URL \"ftp://x\": scheme must be http or https"}},
		{"prometheus no host", Config{Type: TypePrometheus, URL: "http://"}, []string{"url: invalid URL \"http://\": no host"}},
		{"prometheus unparsable", Config{Type: TypePrometheus, URL: "http://a b:1"}, []string{"url: invalid URL"}},
		{"prometheus fields", Config{Type: TypePrometheus, URL: "http://vm", Dialect: "sql", MaxPoints: -1, Headers: map[string]string{"bad header": "x"}, Timeout: -1, Retries: -2},
			[]string{"timeout: must not be negative", "retries: must be -1", "dialect: unknown dialect \"sql\"", "max_points: must not be negative", "headers: invalid header name \"bad header\""}},
		{"prometheus foreign fields", Config{Type: TypePrometheus, URL: "http://vm", DSNEnv: "X", Path: "a.csv"},
			[]string{"dsn_env: does not apply to a prometheus source", "path: does not apply to a prometheus source"}},
		{"postgres ok", Config{Type: TypePostgres, DSN: field.Secret{Literal: "postgres://x"}}, nil},
		{"postgres dsn_env ok", Config{Type: TypePostgres, DSNEnv: "X"}, nil},
		{"postgres no dsn", Config{Type: TypePostgres}, []string{"dsn: required (or dsn_env)"}},
		{"mysql both", Config{Type: TypeMySQL, DSN: field.FromEnv("A"), DSNEnv: "B"}, []string{"dsn_env: set either dsn or dsn_env, not both"}},
		{"sqlite foreign", Config{Type: TypeSQLite, DSN: field.Secret{Literal: "a.db"}, URL: "http://x", MaxOpenConns: -1},
			[]string{"url: does not apply to a sqlite source", "max_open_conns: must not be negative"}},
		{"csv ok", Config{Type: TypeCSV, Path: "a.csv", TimeFormat: "2006-01-02", Timezone: "Asia/Shanghai"}, nil},
		{"csv bad", Config{Type: TypeCSV, TimeFormat: "yesterday", Timezone: "Mars/Olympus", Timeout: field.Duration(time.Second)},
			[]string{"timeout: does not apply to a csv source", "path: required", "time_format: layout \"yesterday\" has no time elements", "timezone: unknown time zone \"Mars/Olympus\""}},
		{"demo", Config{Type: TypeDemo, Seed: 3}, nil},
		{"demo foreign", Config{Type: TypeDemo, Retries: 2}, []string{"retries: does not apply to a demo source"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("error %v (%T) is not a field.List", err, err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(tc.want), err)
			}
			for i, w := range tc.want {
				if got := list[i].Error(); !strings.HasPrefix(got, w) {
					t.Errorf("error %d = %q, want prefix %q", i, got, w)
				}
			}
		})
	}
}

func TestValidateQuery(t *testing.T) {
	prom := Config{Type: TypePrometheus, Dialect: DialectMetricsQL}
	promql := Config{Type: TypePrometheus, Dialect: DialectPromQL}
	pg := Config{Type: TypePostgres}
	my := Config{Type: TypeMySQL}
	csv := Config{Type: TypeCSV}
	tests := []struct {
		name string
		cfg  Config
		expr string
		want string // error fragment, "" for valid
	}{
		{"promql ok", promql, `sum(rate(account_open_total[5m])) by (channel)`, ""},
		{"metricsql extension", prom, `rollup_candlestick(price[1h])`, ""},
		{"metricsql extension in promql dialect", promql, `rollup_candlestick(price[1h])`, "invalid PromQL"},
		{"metricsql default window", prom, `rate(x)`, ""},
		{"syntax error", prom, `sum(rate(x[5m])`, "invalid MetricsQL"},
		{"empty promql", prom, "  ", "empty query"},
		{"select", pg, "SELECT ts, value FROM t WHERE ts BETWEEN :start AND :end;", ""},
		{"with", pg, "-- daily\nWITH a AS (SELECT 1) SELECT * FROM a", ""},
		{"lowercase select in parens", pg, "(select 1)", ""},
		{"semicolon in string", pg, "SELECT ';' AS x, 1", ""},
		{"semicolon in dollar string", pg, "SELECT $q$;DROP$q$, 1", ""},
		{"two statements", pg, "SELECT 1; DROP TABLE t", "only one statement"},
		{"delete", pg, "DELETE FROM t", "only SELECT or WITH queries are allowed, not DELETE"},
		{"comment only", pg, "/* SELECT */", "no statement"},
		{"empty sql", pg, "", "empty query"},
		{"unterminated string", pg, "SELECT 'abc", "unterminated"},
		{"mysql backslash escape", my, `SELECT 'it\'s; fine', 1`, ""},
		{"mysql hash comment", my, "SELECT 1 # ; DROP\n", ""},
		{"csv all", csv, "*", ""},
		{"csv empty", csv, "", ""},
		{"csv list", csv, "orders, trades", ""},
		{"csv empty name", csv, "orders,,trades", "empty name"},
		{"csv duplicate", csv, "a,a", `names "a" twice`},
		{"demo", Config{Type: TypeDemo}, "anything", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.ValidateQuery(tc.expr)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRewritePlaceholders(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		style     bindStyle
		mysql     bool
		want      string
		wantNames []string
	}{
		{
			name:      "dollar reuses numbers",
			in:        "SELECT ts::timestamptz, v FROM t WHERE ts >= :start AND ts < :end AND ts > :start - interval '1s' * :step_seconds",
			style:     bindDollar,
			want:      "SELECT ts::timestamptz, v FROM t WHERE ts >= $1 AND ts < $2 AND ts > $1 - interval '1s' * $3",
			wantNames: []string{"start", "end", "step_seconds"},
		},
		{
			name:      "question repeats",
			in:        "SELECT ts, v FROM t WHERE ts BETWEEN :start AND :end OR ts = :start",
			style:     bindQuestion,
			want:      "SELECT ts, v FROM t WHERE ts BETWEEN ? AND ? OR ts = ?",
			wantNames: []string{"start", "end", "start"},
		},
		{
			name:      "literals, comments and unknown names untouched",
			in:        "SELECT ':start', \":end\" /* :end */, a[1:2], :other, x:start FROM t -- :start\nWHERE u > :start_unix",
			style:     bindQuestion,
			want:      "SELECT ':start', \":end\" /* :end */, a[1:2], :other, x:start FROM t -- :start\nWHERE u > ?",
			wantNames: []string{"start_unix"},
		},
		{
			name:      "mysql user variable",
			in:        "SELECT @n := 1, :end_unix",
			style:     bindQuestion,
			mysql:     true,
			want:      "SELECT @n := 1, ?",
			wantNames: []string{"end_unix"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, names, err := rewritePlaceholders(tc.in, tc.style, tc.mysql)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("sql =\n%s\nwant\n%s", got, tc.want)
			}
			if d := cmp.Diff(tc.wantNames, names); d != "" {
				t.Errorf("names (-want +got):\n%s", d)
			}
		})
	}
}
