package check

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/seismo-dev/seismo/source"
)

// dialect is what differs between the three engines' SQL.
type dialect struct {
	typ string // source.TypePostgres, TypeMySQL or TypeSQLite
	// sessionUTC: the MySQL session's time_zone is +00:00 (set by openDB
	// unless the DSN sets one), so TIMESTAMP values read in UTC.
	sessionUTC bool
}

// quote quotes an identifier.
func (d dialect) quote(name string) string {
	if d.typ == source.TypeMySQL {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// param returns the n-th (1-based) bind parameter.
func (d dialect) param(n int) string {
	if d.typ == source.TypePostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// sortExpr is the expression a key column is ordered and compared by in
// SQL: byte-wise for text, whatever the database's default collation, so
// that the database's order is the order Seismo verifies (Order).
// PostgreSQL's "C" collation and SQLite's BINARY compare bytes; in MySQL
// the column is cast to a binary string (utf8mb4_bin would pad spaces and
// fail on columns of other character sets).
func (d dialect) sortExpr(col *column) string {
	ref := "q." + d.quote(col.name)
	switch d.typ {
	case source.TypePostgres:
		if col.class == classText && col.dbType != "BYTEA" {
			return ref + ` COLLATE "C"`
		}
	case source.TypeMySQL:
		if col.class == classText {
			return "CAST(" + ref + " AS BINARY)"
		}
	case source.TypeSQLite:
		return ref + " COLLATE BINARY"
	}
	return ref
}

// orderBy returns the ORDER BY clause for cols, ascending. NULLs are left
// where each engine puts them (first in MySQL and SQLite, last in
// PostgreSQL, whose indexes are built that way): rows with a NULL in the
// key are set aside while streaming and matched at the end (see cursor).
func (d dialect) orderBy(cols []*column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = d.sortExpr(c)
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// wrap wraps the user's query as a derived table q, optionally selecting
// other expressions, filtering and ordering. The query goes on lines of
// its own so that a trailing line comment cannot swallow what follows.
func wrap(query, sel, where, order string) string {
	if sel == "" {
		sel = "*"
	}
	var b strings.Builder
	b.Grow(len(query) + len(sel) + len(where) + len(order) + 40)
	b.WriteString("SELECT ")
	b.WriteString(sel)
	b.WriteString(" FROM (\n")
	b.WriteString(query)
	b.WriteString("\n) q")
	if where != "" {
		b.WriteString(" WHERE ")
		b.WriteString(where)
	}
	b.WriteString(order)
	return b.String()
}

// trimQuery removes white space and a final semicolon: the query becomes
// a derived table.
func trimQuery(q string) string {
	q = strings.TrimSpace(q)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	return q
}

// openDB opens a connection pool on a SQL source for one run. Sources are
// opened per run rather than kept: a check runs every few minutes at most,
// connecting costs milliseconds, and a run never inherits a connection a
// firewall cut since the last one.
func openDB(sc source.Config) (*sql.DB, dialect, error) {
	dsn := sc.DSN.Value()
	if dsn == "" {
		return nil, dialect{}, errors.New("dsn is empty")
	}
	d := dialect{typ: sc.Type}
	var driverName string
	switch sc.Type {
	case source.TypePostgres:
		driverName = "pgx"
	case source.TypeMySQL:
		mc, err := mysql.ParseDSN(dsn)
		if err != nil {
			// The driver's message names the problem, not the password.
			return nil, d, fmt.Errorf("invalid mysql dsn: %w", err)
		}
		if !strings.Contains(dsn, "parseTime=") {
			mc.ParseTime = true
		}
		if _, set := mc.Params["time_zone"]; !set {
			if mc.Params == nil {
				mc.Params = map[string]string{}
			}
			mc.Params["time_zone"] = "'+00:00'"
			d.sessionUTC = true
		}
		driverName, dsn = "mysql", mc.FormatDSN()
	case source.TypeSQLite:
		// query_only makes the connection refuse writes.
		if !strings.Contains(dsn, "query_only") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + "_pragma=query_only(1)"
		}
		driverName = "sqlite"
	default:
		return nil, d, fmt.Errorf("a %s source cannot be checked: a check reads postgres, mysql or sqlite sources", sc.Type)
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, d, err
	}
	// One connection streams the rows; a second serves the checksum and
	// re-check queries that may overlap with it.
	n := 2
	if sc.MaxOpenConns > 0 {
		n = min(n, sc.MaxOpenConns)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, d, nil
}

// side is one side of a check during a run: its database and the columns
// its query returns.
type side struct {
	label  string // "left" or "right"
	source string // the source's name
	sql    string // the user's query, trimmed
	db     *sql.DB
	d      dialect
	loc    *time.Location // zone of wall-clock times
	cols   []column
	key    []int // indexes in cols of the key columns, in key order
	cmp    []int // indexes in cols of the compared columns, in compare order
	// perm and pos map a row's plan order (keys, compared, the rest) to
	// column indexes and back.
	perm, pos []int
}

// order sets perm and pos once key and cmp are known.
func (s *side) order() {
	s.perm = append(append([]int(nil), s.key...), s.cmp...)
	for j := range s.cols {
		if !slices.Contains(s.perm, j) {
			s.perm = append(s.perm, j)
		}
	}
	s.pos = make([]int, len(s.cols))
	for p, j := range s.perm {
		s.pos[j] = p
	}
}

// describe names the side in errors: `left (source "accounts")`.
func (s *side) describe() string { return fmt.Sprintf("%s (source %q)", s.label, s.source) }

// queryer is a *sql.DB or a read-only *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs text in a read-only transaction where the engine has them
// (PostgreSQL, MySQL; SQLite connections are query_only). The returned
// function ends the transaction after the rows are closed.
func (s *side) query(ctx context.Context, text string, args ...any) (*sql.Rows, func(), error) {
	var q queryer = s.db
	done := func() {}
	if s.d.typ != source.TypeSQLite {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, nil, err
		}
		q = tx
		done = func() { _ = tx.Rollback() } // read-only: nothing to undo
	}
	rows, err := q.QueryContext(ctx, text, args...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return rows, done, nil
}

// probe learns the query's columns and their types without reading a row.
func (s *side) probe(ctx context.Context) error {
	rows, done, err := s.query(ctx, wrap(s.sql, "", "1=0", ""))
	if err != nil {
		return fmt.Errorf("%s: query: %w", s.describe(), err)
	}
	defer done()
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("%s: column types: %w", s.describe(), err)
	}
	s.cols = make([]column, len(cts))
	for i, ct := range cts {
		c := column{name: ct.Name(), dbType: strings.ToUpper(ct.DatabaseTypeName())}
		var wall bool
		c.class, wall = classify(s.d.typ, c.dbType)
		switch {
		case s.d.typ == source.TypeMySQL && c.dbType == "TIMESTAMP" && s.d.sessionUTC:
			c.wall = time.UTC
		case wall || c.class == classAny:
			c.wall = s.loc
			c.wallIfUTC = s.d.typ == source.TypeSQLite
		}
		s.cols[i] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: query: %w", s.describe(), err)
	}
	return nil
}

// find returns the index of the column named name: the exact name, else
// the only one equal to it regardless of case (PostgreSQL folds unquoted
// names to lower case, other engines keep them).
func (s *side) find(name string) (int, error) {
	at := -1
	for i, c := range s.cols {
		if c.name == name {
			if at >= 0 {
				return -1, fmt.Errorf("the %s query returns two columns named %q", s.label, name)
			}
			at = i
		}
	}
	if at >= 0 {
		return at, nil
	}
	for i, c := range s.cols {
		if strings.EqualFold(c.name, name) {
			if at >= 0 {
				return -1, fmt.Errorf("the %s query returns several columns named %q in different cases", s.label, name)
			}
			at = i
		}
	}
	if at < 0 {
		return -1, fmt.Errorf("column %q is missing from the %s query's result (it has: %s)", name, s.label, strings.Join(s.columnNames(), ", "))
	}
	return at, nil
}

func (s *side) columnNames() []string {
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.name
	}
	return out
}

// keyCols returns the key columns.
func (s *side) keyCols() []*column {
	out := make([]*column, len(s.key))
	for i, k := range s.key {
		out[i] = &s.cols[k]
	}
	return out
}
