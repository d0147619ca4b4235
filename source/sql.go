package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/prometheus/prometheus/model/labels"
	"modernc.org/sqlite"

	"github.com/seismo-dev/seismo/series"
)

// Column names recognised in a SQL result, compared case-insensitively.
var (
	sqlTimeColumns  = []string{"time", "ts", "timestamp"}
	sqlValueColumn  = "value"
	sqliteTimeParam = "2006-01-02 15:04:05.999999999" // SQLite's own datetime text form, in UTC
)

// sqlSource runs SQL queries through database/sql. A result row is one
// sample: a time column, a value column, and label columns.
type sqlSource struct {
	name   string
	typ    string
	db     *sql.DB
	style  bindStyle
	mysql  bool
	txRO   bool // run queries in a read-only transaction
	retry  retrier
	logger *slog.Logger
}

func newSQLSource(name string, cfg Config, logger *slog.Logger) (*sqlSource, error) {
	dsn := cfg.DSN.Value()
	if dsn == "" {
		return nil, errors.New("dsn is empty")
	}
	s := &sqlSource{name: name, typ: cfg.Type, logger: logger}
	var driverName string
	switch cfg.Type {
	case TypePostgres:
		driverName, s.style, s.txRO = "pgx", bindDollar, true
	case TypeMySQL:
		mc, err := mysql.ParseDSN(dsn)
		if err != nil {
			// The driver's message names the problem, not the password.
			return nil, fmt.Errorf("invalid mysql dsn: %w", err)
		}
		// Without parseTime the driver returns DATETIME columns as bytes
		// in no particular zone; an explicit setting is the user's choice.
		if !strings.Contains(dsn, "parseTime=") {
			mc.ParseTime = true
			dsn = mc.FormatDSN()
		}
		driverName, s.style, s.mysql, s.txRO = "mysql", bindQuestion, true, true
	case TypeSQLite:
		// query_only makes every connection refuse writes, the SQLite
		// counterpart of the read-only transactions used elsewhere.
		if !strings.Contains(dsn, "_query_only") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + "_query_only=1"
		}
		driverName, s.style = "sqlite", bindQuestion
	default:
		return nil, fmt.Errorf("not a SQL source type: %q", cfg.Type)
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	if cfg.MaxOpenConns > 0 {
		db.SetMaxOpenConns(cfg.MaxOpenConns)
		db.SetMaxIdleConns(cfg.MaxOpenConns)
	}
	// Monitors query every minute or so; an idle connection older than
	// that is likely to have been cut by a firewall.
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.db = db
	s.retry = newRetrier(name, cfg, logger, sqlRetryable)
	return s, nil
}

// Query runs q.Expr with the placeholders :start, :end (timestamps),
// :start_unix, :end_unix (unix seconds) and :step_seconds bound. Each row
// gives one sample: the time column (time, ts or timestamp, else the
// first), the value column (value, else the first other column; NULL is
// NaN) and labels from every other non-NULL column.
func (s *sqlSource) Query(ctx context.Context, q Query) ([]series.Series, error) {
	if err := validateSQL(q.Expr, s.mysql); err != nil {
		return nil, fmt.Errorf("%s source %q: %w", s.typ, s.name, err)
	}
	text, names, err := rewritePlaceholders(q.Expr, s.style, s.mysql)
	if err != nil {
		return nil, fmt.Errorf("%s source %q: %w", s.typ, s.name, err)
	}
	args, err := s.bindArgs(names, q)
	if err != nil {
		return nil, fmt.Errorf("%s source %q: %w", s.typ, s.name, err)
	}
	res, err := do(ctx, s.retry, "query", func(ctx context.Context) (sqlResult, error) {
		return s.run(ctx, text, args)
	})
	if err != nil {
		return nil, fmt.Errorf("%s source %q: query: %w", s.typ, s.name, err)
	}
	if res.skipped > 0 {
		s.logger.Warn("skipped SQL rows", "source", s.name, "rows", res.rows, "skipped", res.skipped, "first_reason", res.firstSkip)
	}
	return res.series, nil
}

func (s *sqlSource) bindArgs(names []string, q Query) ([]any, error) {
	args := make([]any, len(names))
	for i, n := range names {
		switch n {
		case phStart, phEnd, phStartUnix, phEndUnix:
			t := q.Start
			if n == phEnd || n == phEndUnix {
				t = q.End
			}
			if t.IsZero() {
				return nil, fmt.Errorf("query uses :%s but the range has no %s", n, strings.TrimSuffix(n, "_unix"))
			}
			switch {
			case n == phStartUnix || n == phEndUnix:
				args[i] = t.Unix()
			case s.typ == TypeSQLite:
				// SQLite has no time type: compare in its canonical text form.
				args[i] = t.UTC().Format(sqliteTimeParam)
			default:
				args[i] = t.UTC()
			}
		case phStepSeconds:
			if q.Step <= 0 {
				return nil, errors.New("query uses :step_seconds but the step is not set")
			}
			if q.Step%time.Second == 0 {
				args[i] = int64(q.Step / time.Second)
			} else {
				args[i] = q.Step.Seconds()
			}
		}
	}
	return args, nil
}

// sqlResult is one query's series and what was skipped building them.
type sqlResult struct {
	series    []series.Series
	rows      int
	skipped   int
	firstSkip string
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *sqlSource) run(ctx context.Context, text string, args []any) (sqlResult, error) {
	var qr queryer = s.db
	if s.txRO {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return sqlResult{}, err
		}
		defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
		qr = tx
	}
	rows, err := qr.QueryContext(ctx, text, args...)
	if err != nil {
		return sqlResult{}, err
	}
	defer rows.Close()
	return scanSeries(rows)
}

// scanSeries groups rows into series by their label columns.
func scanSeries(rows *sql.Rows) (sqlResult, error) {
	var res sqlResult
	cols, err := rows.Columns()
	if err != nil {
		return res, err
	}
	if len(cols) < 2 {
		return res, fmt.Errorf("result has %d column(s); need a time and a value column", len(cols))
	}
	timeIdx, valueIdx := 0, -1
	for i, c := range cols {
		if slices.Contains(sqlTimeColumns, strings.ToLower(c)) {
			timeIdx = i
			break
		}
	}
	for i, c := range cols {
		if i != timeIdx && strings.EqualFold(c, sqlValueColumn) {
			valueIdx = i
			break
		}
	}
	if valueIdx < 0 {
		valueIdx = 0
		if timeIdx == 0 {
			valueIdx = 1
		}
	}

	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	tp := newTimeParser(TimeFormatAuto, time.UTC)
	index := map[string]int{}
	b := labels.NewScratchBuilder(len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return res, err
		}
		res.rows++
		t, err := sqlTime(vals[timeIdx], tp)
		if err != nil {
			res.skip(fmt.Sprintf("row %d: column %q: %v", res.rows, cols[timeIdx], err))
			continue
		}
		v, err := sqlValue(vals[valueIdx])
		if err != nil {
			res.skip(fmt.Sprintf("row %d: column %q: %v", res.rows, cols[valueIdx], err))
			continue
		}
		b.Reset()
		for i, c := range cols {
			if i == timeIdx || i == valueIdx {
				continue
			}
			if lv := sqlLabel(vals[i]); lv != "" {
				b.Add(c, lv)
			}
		}
		b.Sort()
		ls := b.Labels()
		key := ls.String()
		j, ok := index[key]
		if !ok {
			j = len(res.series)
			index[key] = j
			res.series = append(res.series, series.Series{Labels: ls})
		}
		res.series[j].Points = append(res.series[j].Points, series.Point{T: t, V: v})
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	slices.SortFunc(res.series, func(a, b series.Series) int { return labels.Compare(a.Labels, b.Labels) })
	return res, nil
}

func (r *sqlResult) skip(reason string) {
	if r.skipped == 0 {
		r.firstSkip = reason
	}
	r.skipped++
}

// sqlTime reads a time column value: a time, unix seconds (or
// milliseconds, told apart by magnitude) or text in a common layout.
func sqlTime(v any, tp *timeParser) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case nil:
		return time.Time{}, errors.New("NULL time")
	case []byte:
		return tp.parse(string(x))
	case string:
		return tp.parse(x)
	}
	f, err := sqlValue(v)
	if err != nil || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("unsupported time value %v (%T)", v, v)
	}
	return unixGuess(f)
}

// sqlValue reads a value column value; NULL is NaN.
func sqlValue(v any) (float64, error) {
	switch x := v.(type) {
	case nil:
		return math.NaN(), nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case []byte:
		return parseSQLNumber(string(x))
	case string:
		return parseSQLNumber(x)
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return 0, err
		}
		if _, again := dv.(driver.Valuer); again {
			break
		}
		return sqlValue(dv)
	case fmt.Stringer:
		return parseSQLNumber(x.String())
	}
	return 0, fmt.Errorf("unsupported value type %T", v)
}

func parseSQLNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", truncate(s, 40))
	}
	return f, nil
}

// sqlLabel renders a label column value; NULL is the empty string, which
// labels treat as absent.
func sqlLabel(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// sqlRetryable reports errors worth another attempt: lost connections,
// overload, lock conflicts. Syntax, permission and data errors are not.
func sqlRetryable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // admin/crash shutdown, cannot connect now
			"40001", "40P01": // serialization failure, deadlock
			return true
		}
		// Class 08: connection exception; class 53: insufficient resources.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53")
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1040, // too many connections
			1053, // server shutdown in progress
			1205, // lock wait timeout
			1213, // deadlock
			1927, // connection killed
			2006, // server has gone away
			2013: // lost connection during query
			return true
		}
		return false
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
		return false
	}
	if pgconn.Timeout(err) {
		return true
	}
	return isTransientNetErr(err)
}

// Close closes the connection pool.
func (s *sqlSource) Close() error { return s.db.Close() }
