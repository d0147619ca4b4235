package check

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestCanonDecimal(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1", "1", true},
		{"1.00", "1", true},
		{"001.2300", "1.23", true},
		{" -0.500 ", "-0.5", true},
		{"-0.000", "0", true},
		{"+7", "7", true},
		{".5", "0.5", true},
		{"5.", "5", true},
		{"1e3", "1000", true},
		{"1.5E-3", "0.0015", true},
		{"-2.5e+2", "-250", true},
		{"12345678901234567890.123", "12345678901234567890.123", true},
		{"NaN", "NaN", true},
		{"Infinity", "Inf", true},
		{"-inf", "-Inf", true},
		{"", "", false},
		{".", "", false},
		{"1.2.3", "", false},
		{"1e", "", false},
		{"1e99999", "", false},
		{"abc", "", false},
		{"1,5", "", false},
		{"--1", "", false},
	}
	for _, tt := range tests {
		got, ok := canonDecimal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("canonDecimal(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNumbersNormalise(t *testing.T) {
	// The same number as each engine's driver returns it.
	same := []struct {
		name string
		v    Value
	}{
		{"int64", Int(1)},
		{"PostgreSQL NUMERIC text", mustNumber(t, "1.00")},
		{"float64", Float(1)},
		{"exponent", mustNumber(t, "1e0")},
	}
	for _, s := range same {
		if !Equal(same[0].v, s.v) || Order(same[0].v, s.v) != 0 {
			t.Errorf("%s: %v is not the integer 1", s.name, s.v)
		}
	}
	// float32 at its own precision: MySQL FLOAT 0.1 is 0.1.
	if got := floatValue(float64(float32(0.1)), 32); got.String() != "0.1" {
		t.Errorf("float32 0.1 = %s", got)
	}
	if Equal(Float(0.1), Float(0.1000001)) {
		t.Error("different floats are equal")
	}
	// Integers beyond int64 stay exact decimals.
	big1, big2 := mustNumber(t, "9223372036854775808"), mustNumber(t, "9223372036854775809")
	if big1.Kind() != KindDec || Order(big1, big2) >= 0 || Order(Int(math.MaxInt64), big1) >= 0 {
		t.Errorf("order beyond int64: %v %v", big1, big2)
	}
}

func mustNumber(t *testing.T, s string) Value {
	t.Helper()
	v, err := Number(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOrder(t *testing.T) {
	at := func(s string) Value {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return Time(tm)
	}
	// Each value sorts strictly before the next.
	sorted := []Value{
		Null,
		mustNumber(t, "-Inf"),
		mustNumber(t, "-10.5"),
		Int(-10),
		mustNumber(t, "-0.001"),
		Int(0),
		mustNumber(t, "0.001"),
		mustNumber(t, "0.01"),
		mustNumber(t, "0.1"),
		mustNumber(t, "0.15"),
		Int(1),
		mustNumber(t, "9.99"),
		Int(10),
		mustNumber(t, "99999999999999999999"),
		mustNumber(t, "Inf"),
		mustNumber(t, "NaN"),
		Text(""),
		Text("A"),
		Text("B"),
		Text("a"),
		Text("a\x01"),
		Text("ab"),
		Text("é"),
		at("1969-12-31T23:59:59.999999999Z"),
		at("2026-03-02T08:30:00Z"),
		at("2026-03-02T08:30:00.000000001Z"),
	}
	for i := range sorted {
		for j := range sorted {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := Order(sorted[i], sorted[j]); got != want {
				t.Errorf("Order(%v, %v) = %d, want %d", sorted[i], sorted[j], got, want)
			}
			if got := Equal(sorted[i], sorted[j]); got != (i == j) {
				t.Errorf("Equal(%v, %v) = %v", sorted[i], sorted[j], got)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	instant := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		col  column
		want Value
	}{
		{"NULL", nil, column{class: classNumber}, Null},
		{"bool true (PostgreSQL)", true, column{class: classNumber}, Int(1)},
		{"bool false", false, column{class: classNumber}, Int(0)},
		{"tinyint (MySQL)", int64(1), column{class: classNumber}, Int(1)},
		{"DECIMAL bytes (MySQL)", []byte("1.50"), column{class: classNumber}, mustNumber(t, "1.5")},
		{"NUMERIC text (PostgreSQL)", "001.50", column{class: classNumber}, mustNumber(t, "1.5")},
		{"unsigned beyond int64", uint64(math.MaxUint64), column{class: classNumber}, mustNumber(t, "18446744073709551615")},
		{"float32", float32(1.25), column{class: classNumber}, mustNumber(t, "1.25")},
		{"CHAR padding (PostgreSQL)", "ab   ", column{class: classText}, Text("ab")},
		{"bytes are text", []byte("ab"), column{class: classText}, Text("ab")},
		{"leading spaces kept", "  ab", column{class: classText}, Text("  ab")},
		{"numeric-looking text stays text", "1.50", column{class: classText}, Text("1.50")},
		{"SQLite any: text", "x", column{class: classAny}, Text("x")},
		{"SQLite any: float", 2.5, column{class: classAny}, mustNumber(t, "2.5")},
		{"BIT(1)", []byte{1}, column{class: classBits}, Int(1)},
		{"BIT(16)", []byte{1, 0}, column{class: classBits}, Int(256)},
		{"timestamptz (instant)", instant.In(shanghai), column{class: classTime}, Time(instant)},
		{"DATETIME in Shanghai", time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC), column{class: classTime, wall: shanghai}, Time(instant)},
		{"DATETIME in UTC", instant, column{class: classTime, wall: time.UTC}, Time(instant)},
		{"DATE in Shanghai", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), column{class: classTime, wall: shanghai}, Time(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))},
		{"SQLite time with its own zone", instant.In(shanghai), column{class: classTime, wall: time.UTC, wallIfUTC: true}, Time(instant)},
		{"SQLite time without zone", time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC), column{class: classTime, wall: shanghai, wallIfUTC: true}, Time(instant)},
		{"DATETIME as text (parseTime off)", []byte("2026-03-02 16:30:00"), column{class: classTime, wall: shanghai}, Time(instant)},
		{"MySQL zero date", []byte("0000-00-00 00:00:00"), column{class: classTime, wall: time.UTC}, Null},
	}
	for _, tt := range tests {
		got, err := normalize(tt.v, &tt.col)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !Equal(got, tt.want) {
			t.Errorf("%s: normalize(%#v) = %v (%v), want %v (%v)", tt.name, tt.v, got, got.Kind(), tt.want, tt.want.Kind())
		}
	}
	for _, bad := range []struct {
		v   any
		col column
	}{
		{"abc", column{class: classNumber}},
		{"yesterday", column{class: classTime}},
		{[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, column{class: classBits}},
	} {
		if v, err := normalize(bad.v, &bad.col); err == nil {
			t.Errorf("normalize(%#v) = %v, want an error", bad.v, v)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		typ, db string
		class   class
		wall    bool
	}{
		{"postgres", "NUMERIC", classNumber, false},
		{"postgres", "BOOL", classNumber, false},
		{"postgres", "BPCHAR", classText, false},
		{"postgres", "TIMESTAMPTZ", classTime, false},
		{"postgres", "TIMESTAMP", classTime, true},
		{"postgres", "DATE", classTime, true},
		{"postgres", "UUID", classAny, false},
		{"mysql", "DECIMAL", classNumber, false},
		{"mysql", "UNSIGNED BIGINT", classNumber, false},
		{"mysql", "BIT", classBits, false},
		{"mysql", "VARCHAR", classText, false},
		{"mysql", "DATETIME", classTime, true},
		{"sqlite", "INTEGER", classAny, false},
		{"sqlite", "DATETIME", classTime, true},
		{"sqlite", "", classAny, false},
	}
	for _, tt := range tests {
		c, wall := classify(tt.typ, tt.db)
		if c != tt.class || wall != tt.wall {
			t.Errorf("classify(%s, %s) = %v, %v; want %v, %v", tt.typ, tt.db, c, wall, tt.class, tt.wall)
		}
	}
}

// FuzzCanonDecimal checks that the canonical form is a fixed point, is
// the same number (exactly, as a rational), and orders as the numbers do.
func FuzzCanonDecimal(f *testing.F) {
	for _, s := range []string{"1", "1.00", "-0.5", "1e3", "007.10", "-1.5E-3", "99999999999999999999.99", "0"} {
		f.Add(s, "2.5")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca, oka := canonDecimal(a)
		cb, okb := canonDecimal(b)
		if !oka || !okb || strings.ContainsAny(ca+cb, "NI") {
			return
		}
		if again, _ := canonDecimal(ca); again != ca {
			t.Fatalf("canonDecimal(%q) = %q, but canonDecimal of that is %q", a, ca, again)
		}
		ra, ok1 := new(big.Rat).SetString(ca)
		rb, ok2 := new(big.Rat).SetString(cb)
		orig, ok3 := new(big.Rat).SetString(strings.TrimSpace(a))
		if !ok1 || !ok2 {
			t.Fatalf("canonical forms %q, %q do not parse", ca, cb)
		}
		if ok3 && orig.Cmp(ra) != 0 {
			t.Fatalf("canonDecimal(%q) = %q: a different number", a, ca)
		}
		va, vb := decValue(ca), decValue(cb)
		if n, err := Number(a); err != nil || !Equal(n, va) {
			t.Fatalf("Number(%q) = %v, %v; want %v", a, n, err, va)
		}
		if got, want := Order(va, vb), ra.Cmp(rb); got != want {
			t.Fatalf("Order(%s, %s) = %d, want %d", ca, cb, got, want)
		}
	})
}
