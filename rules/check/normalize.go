package check

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// class is what a column's database type says about its values; it picks
// how a driver value is normalised.
type class uint8

const (
	classAny    class = iota // no useful declared type (SQLite): by the Go value
	classNumber              // integers, decimals, floats: text is read as a number
	classText                // character and binary strings
	classBits                // MySQL BIT: big-endian bytes
	classTime                // date-times and dates
)

// column is one column of a side's result.
type column struct {
	name   string
	dbType string // the driver's database type name, upper case
	class  class
	// wall is the zone of the column's wall-clock times: a date, a
	// DATETIME or a timestamp without time zone is read in it. nil means
	// the driver returns instants (timestamptz).
	wall *time.Location
	// wallIfUTC limits wall to times the driver returns in UTC: SQLite's
	// driver gives a time the zone its text named, and a named zone makes
	// it an instant.
	wallIfUTC bool
}

// classify returns the class of a column of a database type, and whether
// its times are wall-clock times. typ is the source type (postgres,
// mysql, sqlite); dbType the driver's DatabaseTypeName.
func classify(typ, dbType string) (c class, wall bool) {
	t := strings.ToUpper(strings.TrimSpace(dbType))
	switch typ {
	case "postgres":
		switch t {
		case "INT2", "INT4", "INT8", "NUMERIC", "FLOAT4", "FLOAT8", "OID", "MONEY":
			return classNumber, false
		case "BOOL":
			return classNumber, false
		case "TEXT", "VARCHAR", "BPCHAR", "CHAR", "NAME", "BYTEA", "CITEXT":
			return classText, false
		case "TIMESTAMPTZ":
			return classTime, false
		case "TIMESTAMP", "DATE":
			return classTime, true
		}
		return classAny, false
	case "mysql":
		t = strings.TrimPrefix(t, "UNSIGNED ")
		switch t {
		case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "DECIMAL", "NUMERIC",
			"FLOAT", "DOUBLE", "REAL", "YEAR":
			return classNumber, false
		case "BIT":
			return classBits, false
		case "CHAR", "VARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET",
			"BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "JSON":
			return classText, false
		case "DATETIME", "DATE", "TIMESTAMP":
			// TIMESTAMP is an instant, but the session time zone is set to
			// UTC (see openDB), so its wall clock is UTC; reading it as a
			// wall-clock time in UTC also undoes any loc= in the DSN.
			return classTime, true
		}
		return classAny, false
	}
	// SQLite: declared types are free text and values keep their own
	// types; only the names its driver turns into times matter.
	switch {
	case t == "DATE" || t == "DATETIME" || t == "TIMESTAMP":
		return classTime, true
	}
	return classAny, false
}

// normalize turns one driver value of col into a Value. loc is the zone of
// wall-clock times.
func normalize(v any, col *column) (Value, error) {
	switch x := v.(type) {
	case nil:
		return Null, nil
	case int64:
		return Int(x), nil
	case float64:
		return Float(x), nil
	case string:
		return normalizeText(x, col)
	case []byte:
		if col.class == classBits {
			return bitsValue(x)
		}
		return normalizeText(string(x), col)
	case time.Time:
		return normalizeTime(x, col), nil
	case bool:
		if x {
			return Int(1), nil
		}
		return Int(0), nil
	case int32:
		return Int(int64(x)), nil
	case int16:
		return Int(int64(x)), nil
	case int8:
		return Int(int64(x)), nil
	case int:
		return Int(int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return decValue(strconv.FormatUint(x, 10)), nil
		}
		return Int(int64(x)), nil
	case uint32:
		return Int(int64(x)), nil
	case uint16:
		return Int(int64(x)), nil
	case uint8:
		return Int(int64(x)), nil
	case uint:
		return Int(int64(x)), nil
	case float32:
		return floatValue(float64(x), 32), nil
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return Null, err
		}
		if _, again := dv.(driver.Valuer); again {
			break
		}
		return normalize(dv, col)
	}
	return Text(fmt.Sprint(v)), nil
}

// normalizeText reads text by its column's class: a number in a numeric
// column (PostgreSQL NUMERIC and MySQL DECIMAL arrive as text), a time in
// a time column (MySQL without parseTime), text otherwise.
func normalizeText(s string, col *column) (Value, error) {
	switch col.class {
	case classNumber:
		return Number(s)
	case classTime:
		if s == "" || strings.HasPrefix(s, "0000-00-00") {
			return Null, nil // MySQL's zero date: no date
		}
		loc := col.wall
		if loc == nil {
			loc = time.UTC
		}
		t, err := parseTime(s, loc)
		if err != nil {
			return Null, err
		}
		return Time(t), nil
	}
	return Text(s), nil
}

// normalizeTime reads a driver time. A wall-clock column's time is
// re-read in its zone: drivers hand DATETIME and DATE values over in UTC
// (or in the DSN's loc) whatever zone they were written in. SQLite's
// driver returns the zone the text named, so there a time in UTC is taken
// for a wall-clock time and any other zone for an instant.
func normalizeTime(t time.Time, col *column) Value {
	if col.wall == time.UTC && t.Location() == time.UTC {
		return Time(t) // the wall clock in UTC is the instant
	}
	if col.wall != nil && (!col.wallIfUTC || t.Location() == time.UTC) {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		t = time.Date(y, mo, d, h, mi, s, t.Nanosecond(), col.wall)
	}
	return Time(t)
}

// bitsValue reads MySQL's BIT(n): big-endian bytes.
func bitsValue(b []byte) (Value, error) {
	if len(b) > 8 {
		return Null, fmt.Errorf("BIT value of %d bytes", len(b))
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	if u > math.MaxInt64 {
		return decValue(strconv.FormatUint(u, 10)), nil
	}
	return Int(int64(u)), nil
}
