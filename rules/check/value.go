package check

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the kind of a normalised value. The order of the constants is
// the order in which values of different kinds sort, the same as SQLite's
// (NULL, numbers, text) with times last.
type Kind uint8

// Kinds of normalised values.
const (
	KindNull Kind = iota
	KindInt       // an integer that fits int64
	KindDec       // any other number: a canonical decimal, or NaN/Inf
	KindText      // text or bytes, trailing spaces removed
	KindTime      // an instant, in UTC
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "NULL"
	case KindInt, KindDec:
		return "a number"
	case KindText:
		return "text"
	case KindTime:
		return "a time"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// isNumber reports whether k is one of the two number kinds.
func (k Kind) isNumber() bool { return k == KindInt || k == KindDec }

// Value is one column value of one row after normalisation, so that the
// same datum read from PostgreSQL, MySQL/MariaDB or SQLite compares equal
// whatever type each engine gave it:
//
//   - every number is an exact decimal: 1, 1.00, '1.0' (in a numeric
//     column) and 1e0 are all the integer 1; floats become the shortest
//     decimal that reads back as the same float (float32 at its own
//     precision, so FLOAT 0.1 is 0.1, not 0.100000001490116);
//   - booleans are the integers 0 and 1 (PostgreSQL bool = MySQL TINYINT(1));
//   - text loses its trailing spaces (CHAR(n) padding, kept by PostgreSQL
//     and dropped by MySQL), and bytes are text;
//   - times are instants in UTC; a date or a date-time without a zone
//     (DATE, DATETIME, timestamp without time zone, SQLite text) is read in
//     the side's time zone (UTC unless configured);
//   - NULL is NULL, equal to NULL and to nothing else.
//
// The zero Value is NULL.
type Value struct {
	s string // KindDec: canonical decimal; KindText: the text
	i int64  // KindInt: the value; KindTime: unix seconds
	n int32  // KindTime: nanoseconds
	k Kind
}

// Null is the NULL value.
var Null = Value{}

// Int returns an integer value.
func Int(i int64) Value { return Value{k: KindInt, i: i} }

// Text returns a text value, with trailing spaces removed.
func Text(s string) Value { return Value{k: KindText, s: strings.TrimRight(s, " ")} }

// Time returns a time value (the instant, in UTC).
func Time(t time.Time) Value {
	return Value{k: KindTime, i: t.Unix(), n: int32(t.Nanosecond())}
}

// Number parses a number written as text (an integer, a decimal, an
// exponent form, NaN or ±Infinity).
func Number(s string) (Value, error) {
	if v, ok := plainInt(s); ok {
		return v, nil
	}
	c, ok := canonDecimal(s)
	if !ok {
		return Null, fmt.Errorf("not a number: %q", truncate(s, 40))
	}
	return decValue(c), nil
}

// plainInt reads the most common number text, an integer of at most 18
// digits with an optional fraction of zeros ("42", "-7", "100.00"),
// without allocating.
func plainInt(s string) (Value, bool) {
	if s == "" {
		return Null, false
	}
	i, neg := 0, false
	if s[0] == '-' {
		i, neg = 1, true
	}
	var n int64
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
		digits++
	}
	if digits == 0 || digits > 18 {
		return Null, false
	}
	if i < len(s) {
		if s[i] != '.' {
			return Null, false
		}
		for i++; i < len(s); i++ {
			if s[i] != '0' {
				return Null, false
			}
		}
	}
	if neg {
		n = -n
	}
	return Int(n), true
}

// decValue turns a canonical decimal into a Value, as an integer when it
// is one that fits int64.
func decValue(c string) Value {
	if v, ok := plainInt(c); ok {
		return v
	}
	if len(c) <= 20 && strings.IndexByte(c, '.') < 0 && c != "NaN" && c != "Inf" && c != "-Inf" {
		if i, err := strconv.ParseInt(c, 10, 64); err == nil {
			return Int(i) // 19 digits
		}
	}
	return Value{k: KindDec, s: c}
}

// Float returns the value of a float64, as the shortest decimal that
// reads back as the same float.
func Float(f float64) Value { return floatValue(f, 64) }

func floatValue(f float64, bits int) Value {
	switch {
	case math.IsNaN(f):
		return Value{k: KindDec, s: "NaN"}
	case math.IsInf(f, 1):
		return Value{k: KindDec, s: "Inf"}
	case math.IsInf(f, -1):
		return Value{k: KindDec, s: "-Inf"}
	}
	c, _ := canonDecimal(strconv.FormatFloat(f, 'f', -1, bits))
	return decValue(c)
}

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.k }

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.k == KindNull }

// TimeValue returns the instant of a time value, in UTC.
func (v Value) TimeValue() time.Time { return time.Unix(v.i, int64(v.n)).UTC() }

// String renders the value as text: numbers in canonical decimal form,
// times in RFC 3339 with as many fraction digits as needed, NULL as NULL.
func (v Value) String() string {
	switch v.k {
	case KindNull:
		return "NULL"
	case KindInt:
		return strconv.FormatInt(v.i, 10)
	case KindDec, KindText:
		return v.s
	case KindTime:
		return v.TimeValue().Format(time.RFC3339Nano)
	}
	return "?"
}

// text returns the text a map or a text comparison sees: the value's
// String except that NULL has none.
func (v Value) text() (string, bool) {
	if v.k == KindNull {
		return "", false
	}
	return v.String(), true
}

// Any returns the value as a plain Go value for JSON and for analyst
// rules: nil, int64, float64 (a decimal, approximated), string or
// time.Time.
func (v Value) Any() any {
	switch v.k {
	case KindInt:
		return v.i
	case KindDec:
		f, _ := v.float()
		return f
	case KindText:
		return v.s
	case KindTime:
		return v.TimeValue()
	}
	return nil
}

// JSON returns the value as JSON encodes it without loss: numbers and
// times as strings when they would lose precision as JSON numbers.
func (v Value) JSON() any {
	switch v.k {
	case KindInt:
		if v.i > 1<<53 || v.i < -(1<<53) {
			return strconv.FormatInt(v.i, 10)
		}
		return v.i
	case KindDec:
		return v.s
	case KindText:
		return v.s
	case KindTime:
		return v.String()
	}
	return nil
}

// float returns a number as a float64.
func (v Value) float() (float64, bool) {
	switch v.k {
	case KindInt:
		return float64(v.i), true
	case KindDec:
		switch v.s {
		case "NaN":
			return math.NaN(), true
		case "Inf":
			return math.Inf(1), true
		case "-Inf":
			return math.Inf(-1), true
		}
		f, err := strconv.ParseFloat(v.s, 64)
		return f, err == nil
	}
	return 0, false
}

// Equal reports whether two values are the same datum: same kind (the two
// number kinds are one) and same value. NULL equals NULL.
func Equal(a, b Value) bool {
	if a.k != b.k {
		return false // an Int and a Dec never hold the same number: decValue picks one
	}
	switch a.k {
	case KindNull:
		return true
	case KindInt:
		return a.i == b.i
	case KindTime:
		return a.i == b.i && a.n == b.n
	}
	return a.s == b.s
}

// Order orders two values: by kind first (NULL, numbers, text, times),
// then numbers numerically, text byte-wise and times by instant. It is the
// order the wrapped queries ask each database for (NULLs first, binary
// collation), so that the merge can verify it.
func Order(a, b Value) int {
	ka, kb := a.k, b.k
	if ka.isNumber() && kb.isNumber() {
		if ka == KindInt && kb == KindInt {
			return cmpInt(a.i, b.i)
		}
		return compareDec(a.decString(), b.decString())
	}
	if ka != kb {
		// Both number kinds share one rank.
		ra, rb := rank(ka), rank(kb)
		return cmpInt(int64(ra), int64(rb))
	}
	switch ka {
	case KindText:
		return strings.Compare(a.s, b.s)
	case KindTime:
		if c := cmpInt(a.i, b.i); c != 0 {
			return c
		}
		return cmpInt(int64(a.n), int64(b.n))
	}
	return 0
}

func rank(k Kind) Kind {
	if k == KindDec {
		return KindInt
	}
	return k
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decString returns a number in canonical decimal form.
func (v Value) decString() string {
	if v.k == KindInt {
		return strconv.FormatInt(v.i, 10)
	}
	return v.s
}

// canonDecimal rewrites a number written as text in one canonical form:
// an optional minus sign, the integer digits without leading zeros (at
// least one), and the fraction digits without trailing zeros after a
// point if any remain. Exponents are applied, -0 is 0, and NaN and the
// infinities are "NaN", "Inf" and "-Inf". Surrounding spaces are ignored.
func canonDecimal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	switch strings.ToLower(s) {
	case "nan":
		return "NaN", true
	case "inf", "+inf", "infinity", "+infinity":
		return "Inf", true
	case "-inf", "-infinity":
		return "-Inf", true
	}
	if strings.IndexByte(s, 'e') < 0 && strings.IndexByte(s, 'E') < 0 {
		return canonPlain(s)
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 4096 || e < -4096 {
			return "", false // exponents beyond any SQL numeric type
		}
		exp = e
	}
	intPart, fracPart, hasPoint := strings.Cut(mant, ".")
	if intPart == "" && fracPart == "" || !allDigits(intPart) || !allDigits(fracPart) || hasPoint && strings.Contains(fracPart, ".") {
		return "", false
	}
	digits := intPart + fracPart
	point := len(intPart) + exp // position of the decimal point in digits
	switch {
	case point < 0:
		digits = strings.Repeat("0", -point) + digits
		point = 0
	case point > len(digits):
		digits += strings.Repeat("0", point-len(digits))
	}
	ip := strings.TrimLeft(digits[:point], "0")
	fp := strings.TrimRight(digits[point:], "0")
	if ip == "" {
		ip = "0"
	}
	var b strings.Builder
	b.Grow(len(ip) + len(fp) + 2)
	if neg && (ip != "0" || fp != "") {
		b.WriteByte('-')
	}
	b.WriteString(ip)
	if fp != "" {
		b.WriteByte('.')
		b.WriteString(fp)
	}
	return b.String(), true
}

// canonPlain is canonDecimal for numbers without an exponent, the form
// databases return: it allocates only when the text is not canonical
// already (trailing zeros of a DECIMAL's scale, say).
func canonPlain(s string) (string, bool) {
	body, neg := s, false
	switch s[0] {
	case '-':
		body, neg = s[1:], true
	case '+':
		body = s[1:]
	}
	ip, fp, point := strings.Cut(body, ".")
	if ip == "" && fp == "" || !allDigits(ip) || !allDigits(fp) {
		return "", false
	}
	ip2, fp2 := strings.TrimLeft(ip, "0"), strings.TrimRight(fp, "0")
	if ip2 == "" {
		ip2 = "0"
	}
	switch {
	case ip2 == "0" && fp2 == "":
		return "0", true
	case s[0] != '+' && len(ip2) == len(ip):
		// Canonical but for trailing zeros (a DECIMAL's scale): a prefix.
		n := len(s) - len(fp) + len(fp2)
		if fp2 == "" && point {
			n-- // the point goes too
		}
		return s[:n], true
	}
	sign := ""
	if neg {
		sign = "-"
	}
	if fp2 == "" {
		return sign + ip2, true
	}
	return sign + ip2 + "." + fp2, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compareDec orders two canonical decimals numerically, with -Inf below
// every number, Inf above, and NaN above Inf (PostgreSQL's order).
func compareDec(a, b string) int {
	ra, rb := decRank(a), decRank(b)
	if ra != rb || ra != 1 {
		return cmpInt(int64(ra), int64(rb))
	}
	na, nb := strings.HasPrefix(a, "-"), strings.HasPrefix(b, "-")
	switch {
	case na && !nb:
		return -1
	case !na && nb:
		return 1
	case na:
		return -compareMagnitude(a[1:], b[1:])
	}
	return compareMagnitude(a, b)
}

// decRank places the specials around the finite numbers (rank 1).
func decRank(s string) int {
	switch s {
	case "-Inf":
		return 0
	case "Inf":
		return 2
	case "NaN":
		return 3
	}
	return 1
}

// compareMagnitude compares two unsigned canonical decimals.
func compareMagnitude(a, b string) int {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if c := cmpInt(int64(len(ai)), int64(len(bi))); c != 0 {
		return c
	}
	if c := strings.Compare(ai, bi); c != 0 {
		return c
	}
	return strings.Compare(af, bf) // no trailing zeros: a prefix is the smaller
}

// timeLayouts are the textual times a text value is read as when it is
// compared with a time (SQLite keeps times as text).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTime reads text as a time; text without a zone is in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", truncate(s, 40))
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
