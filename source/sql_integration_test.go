//go:build integration

package source

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/internal/testpeer"
	"github.com/seismo-dev/seismo/series"
)

const (
	postgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	mariaDBDSN  = "root@tcp(127.0.0.1:3306)/test?parseTime=true"
)

// sqlPeer describes one database the same checks run against.
type sqlPeer struct {
	typ, driver, addr, dsn string
	// schema creates table %[1]s with columns ts, channel, branch, value.
	schema string
}

var sqlPeers = []sqlPeer{
	{TypePostgres, "pgx", "127.0.0.1:5432", postgresDSN,
		`CREATE TABLE %[1]s (ts timestamptz NOT NULL, channel text NOT NULL, branch text, value numeric(12,3))`},
	{TypeMySQL, "mysql", "127.0.0.1:3306", mariaDBDSN,
		`CREATE TABLE %[1]s (ts DATETIME(3) NOT NULL, channel VARCHAR(16) NOT NULL, branch VARCHAR(16), value DECIMAL(12,3))`},
}

func TestSQLIntegration(t *testing.T) {
	for _, peer := range sqlPeers {
		t.Run(peer.typ, func(t *testing.T) {
			testpeer.RequireService(t, peer.typ, peer.addr)
			ctx := context.Background()
			db, err := sql.Open(peer.driver, peer.dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() }) // registered first, so it runs after the DROP
			table := uniqueName("seismo_source")
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(fmt.Sprintf(peer.schema, table))
			t.Cleanup(func() {
				if _, err := db.ExecContext(context.Background(), "DROP TABLE "+table); err != nil {
					t.Errorf("drop %s: %v", table, err)
				}
			})
			base := time.Date(2024, 1, 2, 1, 30, 0, 0, time.UTC)
			insert := fmt.Sprintf("INSERT INTO %s (ts, channel, branch, value) VALUES (?, ?, ?, ?)", table)
			if peer.typ == TypePostgres {
				insert = fmt.Sprintf("INSERT INTO %s (ts, channel, branch, value) VALUES ($1, $2, $3, $4)", table)
			}
			for i := 0; i < 10; i++ {
				ts := base.Add(time.Duration(i) * time.Minute)
				exec(insert, ts, "app", "0571", float64(i)+0.25)
				var v any = float64(10 * i)
				if i == 3 {
					v = nil // a NULL value becomes NaN
				}
				exec(insert, ts, "web", nil, v)
			}

			logger, logs := testLogger()
			src, err := Open("db", Config{Type: peer.typ, DSN: field.Secret{Literal: peer.dsn}, Retries: 2}, logger)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()

			q := Query{
				Expr:  fmt.Sprintf("SELECT ts, channel, branch, value FROM %s WHERE ts >= :start AND ts <= :end ORDER BY ts, channel", table),
				Start: base.Add(2 * time.Minute),
				End:   base.Add(4 * time.Minute),
				Step:  time.Minute,
			}
			got, err := src.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			at := func(i int) float64 { return float64(base.Add(time.Duration(i) * time.Minute).Unix()) }
			diffSeries(t, []series.Series{
				{Labels: labels.FromStrings("branch", "0571", "channel", "app"), Points: pts(at(2), 2.25, at(3), 3.25, at(4), 4.25)},
				{Labels: labels.FromStrings("channel", "web"), Points: pts(at(2), 20, at(3), math.NaN(), at(4), 40)},
			}, got)

			// Bucketed aggregation with :step_seconds and unix placeholders.
			bucket := "floor(extract(epoch from ts) / :step_seconds) * :step_seconds"
			if peer.typ == TypeMySQL {
				bucket = "floor(unix_timestamp(ts) / :step_seconds) * :step_seconds"
			}
			agg := Query{
				Expr: fmt.Sprintf(`SELECT %[2]s AS time, sum(value) AS value FROM %[1]s
					WHERE ts >= :start AND ts < :end AND channel = 'app' GROUP BY 1 ORDER BY 1`, table, bucket),
				Start: base, End: base.Add(10 * time.Minute), Step: 5 * time.Minute,
			}
			got, err = src.Query(ctx, agg)
			if err != nil {
				t.Fatal(err)
			}
			diffSeries(t, []series.Series{{Labels: labels.EmptyLabels(), Points: pts(at(0), 0+1+2+3+4+5*0.25, at(5), 5+6+7+8+9+5*0.25)}}, got)

			// A syntax error fails at once, naming the source.
			_, err = src.Query(ctx, Query{Expr: "SELECT ts, value FROM " + table + " WHERE ORDER"})
			if err == nil || !strings.Contains(err.Error(), `source "db"`) {
				t.Fatalf("syntax error: err = %v", err)
			}
			if strings.Contains(err.Error(), "attempts") || strings.Contains(logs.String(), "retrying") {
				t.Errorf("syntax error was retried: %v\n%s", err, logs)
			}

			// The read-only transaction refuses writes hidden in a query.
			if peer.typ == TypePostgres {
				_, err = src.Query(ctx, Query{Expr: fmt.Sprintf("WITH d AS (DELETE FROM %s RETURNING ts, value) SELECT ts, value FROM d", table)})
				if err == nil || !strings.Contains(err.Error(), "read-only") {
					t.Errorf("write through a CTE: err = %v, want a read-only error", err)
				}
			}
		})
	}
}

func TestSQLIntegrationUnreachable(t *testing.T) {
	// Nothing listens on port 1: the connection error is retried, then
	// reported.
	logger, logs := testLogger()
	src, err := Open("down", Config{Type: TypePostgres, DSN: field.Secret{Literal: "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"}, Retries: 1}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.(*sqlSource).retry.initial = time.Millisecond
	_, err = src.Query(context.Background(), Query{Expr: "SELECT now(), 1"})
	if err == nil || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Fatalf("err = %v, want a connection error after 2 attempts", err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry logged:\n%s", logs)
	}
}
