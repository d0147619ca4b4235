package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// card is one row of the benchmark's tables.
type card struct {
	id      int64
	cardNo  string
	status  string
	balance float64 // two decimals
	holder  string
	updated time.Time
}

var (
	statuses = []string{"NORMAL", "NORMAL", "NORMAL", "FROZEN", "CLOSED"}
	surnames = []string{"Zhang", "Wang", "Li", "Zhao", "Chen", "Liu", "Yang", "Huang", "Zhou", "Wu", "Xu", "Sun"}
	epoch    = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
)

// cardAt returns card i: a pure function of i.
func cardAt(i int64) card {
	return card{
		id:      i,
		cardNo:  fmt.Sprintf("C%010d", i),
		status:  statuses[i%int64(len(statuses))],
		balance: float64(i*7919%10000000) / 100,
		holder:  surnames[i%int64(len(surnames))] + " " + strconv.FormatInt(i%997, 10),
		updated: epoch.Add(time.Duration(i) * time.Second).Add(time.Duration(i%1000) * time.Microsecond),
	}
}

// plan says which cards differ on the right: kind 0 another status, kind
// 1 missing on the right, kind 2 only on the right (ids above n).
type plan struct {
	n       int64
	changed map[int64]int // id → kind 0 or 1
	extra   []int64       // ids of kind 2
}

func newPlan(n, diffs int) plan {
	p := plan{n: int64(n), changed: map[int64]int{}}
	if diffs == 0 {
		return p
	}
	step := max(int64(n/diffs), 1)
	for j := range diffs {
		switch kind := j % 3; kind {
		case 2:
			p.extra = append(p.extra, int64(n)+1+int64(j))
		default:
			id := 1 + int64(j)*step + step/2
			if id <= int64(n) {
				p.changed[id] = kind
			}
		}
	}
	return p
}

// rightRows is the right table's row count.
func (p plan) rightRows() int64 {
	missing := 0
	for _, k := range p.changed {
		if k == 1 {
			missing++
		}
	}
	return p.n - int64(missing) + int64(len(p.extra))
}

// rightCard returns the right table's version of card i and whether it
// has one.
func (p plan) rightCard(i int64) (card, bool) {
	c := cardAt(i)
	switch k, ok := p.changed[i]; {
	case ok && k == 1:
		return c, false
	case ok:
		c.status = "SUSPEND"
	}
	return c, true
}

func (b *bench) loadLeft(ctx context.Context, table string, n int, reload bool) error {
	var count int64
	if err := b.pg.QueryRow(ctx, "SELECT COUNT(*) FROM "+table).Scan(&count); err == nil && count == int64(n) && !reload {
		return nil
	}
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id BIGINT NOT NULL, card_no VARCHAR(16) NOT NULL, status VARCHAR(8) NOT NULL, balance NUMERIC(14,2) NOT NULL, holder VARCHAR(32) NOT NULL, updated TIMESTAMPTZ NOT NULL)",
	} {
		if _, err := b.pg.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: %s: %w", q, err)
		}
	}
	i := int64(0)
	_, err := b.pg.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "card_no", "status", "balance", "holder", "updated"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == int64(n) {
				return nil, nil
			}
			i++
			c := cardAt(i)
			return []any{c.id, c.cardNo, c.status, c.balance, c.holder, c.updated}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgres: copy: %w", err)
	}
	for _, q := range []string{"ALTER TABLE " + table + " ADD PRIMARY KEY (id)", "ANALYZE " + table} {
		if _, err := b.pg.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: %s: %w", q, err)
		}
	}
	return nil
}

// insertRows is the number of rows per INSERT statement into MariaDB.
const insertRows = 1000

func (b *bench) loadRight(ctx context.Context, table string, n, diffs int, reload bool) (err error) {
	p := newPlan(n, diffs)
	var count int64
	if err := b.my.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&count); err == nil && count == p.rightRows() && !reload {
		return nil
	}
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + table,
		"CREATE TABLE " + table + " (id BIGINT NOT NULL PRIMARY KEY, card_no VARCHAR(16) NOT NULL, status VARCHAR(8) NOT NULL, balance DECIMAL(16,4) NOT NULL, holder VARCHAR(32) NOT NULL, updated DATETIME(6) NOT NULL) DEFAULT CHARSET utf8mb4",
	} {
		if _, err := b.my.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("mariadb: %s: %w", q, err)
		}
	}
	conn, err := b.my.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stmtFor := func(rows int) string {
		return "INSERT INTO " + table + " VALUES " + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?),", rows), ",")
	}
	full, err := conn.PrepareContext(ctx, stmtFor(insertRows))
	if err != nil {
		return fmt.Errorf("mariadb: prepare: %w", err)
	}
	defer full.Close()
	args := make([]any, 0, insertRows*6)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var err error
		if len(args) == insertRows*6 {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = conn.ExecContext(ctx, stmtFor(len(args)/6), args...)
		}
		args = args[:0]
		if err != nil {
			return fmt.Errorf("mariadb: insert: %w", err)
		}
		return nil
	}
	add := func(c card) error {
		args = append(args, c.id, c.cardNo, c.status, strconv.FormatFloat(c.balance, 'f', 2, 64), c.holder, c.updated.Format("2006-01-02 15:04:05.000000"))
		if len(args) == insertRows*6 {
			return flush()
		}
		return nil
	}
	for i := int64(1); i <= int64(n); i++ {
		if c, ok := p.rightCard(i); ok {
			if err := add(c); err != nil {
				return err
			}
		}
	}
	for _, id := range p.extra {
		if err := add(cardAt(id)); err != nil {
			return err
		}
	}
	return flush()
}

func (b *bench) dropTables(ctx context.Context, n, diffs int) error {
	left, right := tableNames(n, diffs)
	_, lerr := b.pg.Exec(ctx, "DROP TABLE IF EXISTS "+left)
	_, rerr := b.my.ExecContext(ctx, "DROP TABLE IF EXISTS "+right)
	return errors.Join(lerr, rerr)
}
