package check

import (
	"math"
	"strings"
	"time"
)

// colRule compares one column's values from the two sides.
type colRule struct {
	name string
	rule string
	abs  float64
	rel  float64
	tol  time.Duration
	// mapping rewrites left text to the right text it stands for; with
	// rule ci its keys are lower case.
	mapping map[string]string
	// left and right are the zones of each side's text read as time.
	left, right *time.Location
	// plain: rule exact without a map, where values of one kind need only
	// Equal (the common case, taken first).
	plain bool
}

func newColRule(c Compare, left, right *time.Location) colRule {
	r := colRule{name: c.Column, rule: c.effectiveRule(), abs: c.Abs, rel: c.Rel, tol: c.TimeTolerance.Std(), left: left, right: right}
	r.plain = r.rule == RuleExact && len(c.Map) == 0
	if len(c.Map) > 0 {
		r.mapping = make(map[string]string, len(c.Map))
		for k, v := range c.Map {
			k = strings.TrimRight(k, " ")
			if r.rule == RuleCI {
				k = strings.ToLower(k)
			}
			if r.rule == RuleTrim {
				k = strings.TrimSpace(k)
			}
			r.mapping[k] = v
		}
	}
	return r
}

// equal reports whether a left and a right value agree under the rule.
// NULL agrees with NULL only.
func (r *colRule) equal(l, rv Value) bool {
	if r.plain && l.k == rv.k {
		return Equal(l, rv)
	}
	if r.mapping != nil && l.k != KindNull {
		s, _ := l.text()
		switch r.rule {
		case RuleCI:
			s = strings.ToLower(s)
		case RuleTrim:
			s = strings.TrimSpace(s)
		}
		if m, ok := r.mapping[s]; ok {
			l = Text(m)
		}
	}
	if l.k == KindNull || rv.k == KindNull {
		return l.k == rv.k
	}
	switch r.rule {
	case RuleCI:
		if l.k == KindText && rv.k == KindText {
			return strings.EqualFold(l.s, rv.s)
		}
	case RuleTrim:
		if l.k == KindText {
			l = Text(strings.TrimSpace(l.s))
		}
		if rv.k == KindText {
			rv = Text(strings.TrimSpace(rv.s))
		}
	case RuleNumeric:
		return r.numericEqual(l, rv)
	case RuleTime:
		return r.timeEqual(l, rv)
	}
	a, b, ok := coerce(l, rv, r.left, r.right)
	if !ok {
		return false
	}
	if r.rule == RuleCI && a.k == KindText {
		return strings.EqualFold(a.s, b.s)
	}
	return Equal(a, b)
}

func (r *colRule) numericEqual(l, rv Value) bool {
	a, b, ok := coerce(l, rv, r.left, r.right)
	if !ok || !a.k.isNumber() || !b.k.isNumber() {
		return false
	}
	if r.abs == 0 && r.rel == 0 {
		return Equal(a, b)
	}
	fa, oka := a.float()
	fb, okb := b.float()
	if !oka || !okb {
		return false
	}
	if math.IsNaN(fa) || math.IsNaN(fb) {
		return math.IsNaN(fa) && math.IsNaN(fb)
	}
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		return fa == fb
	}
	d := math.Abs(fa - fb)
	return d <= r.abs || d <= r.rel*math.Max(math.Abs(fa), math.Abs(fb))
}

func (r *colRule) timeEqual(l, rv Value) bool {
	a, b, ok := coerce(l, rv, r.left, r.right)
	if !ok || a.k != KindTime || b.k != KindTime {
		return false
	}
	d := a.TimeValue().Sub(b.TimeValue())
	if d < 0 {
		d = -d
	}
	return d <= r.tol
}

// coerce brings two non-NULL values to one kind when one is text: text
// compared with a number is read as a number, text compared with a time
// as a time in its side's zone. ok is false when that fails or the kinds
// cannot meet (a number and a time).
func coerce(l, r Value, lloc, rloc *time.Location) (Value, Value, bool) {
	if l.k == r.k || l.k.isNumber() && r.k.isNumber() {
		return l, r, true
	}
	var err error
	switch {
	case l.k == KindText && r.k.isNumber():
		l, err = Number(l.s)
	case r.k == KindText && l.k.isNumber():
		r, err = Number(r.s)
	case l.k == KindText && r.k == KindTime:
		var t time.Time
		t, err = parseTime(l.s, lloc)
		l = Time(t)
	case r.k == KindText && l.k == KindTime:
		var t time.Time
		t, err = parseTime(r.s, rloc)
		r = Time(t)
	default:
		return l, r, false
	}
	return l, r, err == nil
}
