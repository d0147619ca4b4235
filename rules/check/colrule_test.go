package check

import (
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

func TestColRule(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	instant := Time(time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC))
	tests := []struct {
		name  string
		cmp   Compare
		l, r  Value
		equal bool
	}{
		{"NULL = NULL", Compare{}, Null, Null, true},
		{"NULL ≠ value", Compare{}, Null, Int(0), false},
		{"value ≠ NULL", Compare{}, Text(""), Null, false},
		{"1 = 1.00", Compare{}, Int(1), mustNumber(t, "1.00"), true},
		{"number = numeric text", Compare{}, Int(1), Text("1.00"), true},
		{"number ≠ other text", Compare{}, Int(1), Text("one"), false},
		{"text ≠ different text", Compare{}, Text("FROZEN"), Text("NORMAL"), false},
		{"exact is case-sensitive", Compare{}, Text("Frozen"), Text("FROZEN"), false},
		{"ci", Compare{Rule: RuleCI}, Text("Frozen"), Text("FROZEN"), true},
		{"ci still differs", Compare{Rule: RuleCI}, Text("Frozen"), Text("NORMAL"), false},
		{"exact ignores trailing spaces only", Compare{}, Text(" a"), Text("a"), false},
		{"trim", Compare{Rule: RuleTrim}, Text(" a\t"), Text("a"), true},
		{"numeric abs within", Compare{Abs: 0.01}, mustNumber(t, "100.004"), Int(100), true},
		{"numeric abs beyond", Compare{Abs: 0.01}, mustNumber(t, "100.02"), Int(100), false},
		{"numeric rel within", Compare{Rel: 0.001}, Int(100000), Int(100050), true},
		{"numeric rel beyond", Compare{Rel: 0.001}, Int(100000), Int(100200), false},
		{"numeric exact without tolerance", Compare{Rule: RuleNumeric}, mustNumber(t, "0.1"), Float(0.1), true},
		{"numeric text", Compare{Abs: 1}, Text("10"), Int(11), true},
		{"numeric not a number", Compare{Abs: 1}, Text("ten"), Int(10), false},
		{"numeric NaN = NaN", Compare{Abs: 1}, mustNumber(t, "NaN"), mustNumber(t, "NaN"), true},
		{"time within", Compare{TimeTolerance: field.Duration(time.Second)}, instant, Time(time.Date(2026, 3, 2, 8, 30, 0, 900_000_000, time.UTC)), true},
		{"time beyond", Compare{TimeTolerance: field.Duration(time.Second)}, instant, Time(time.Date(2026, 3, 2, 8, 30, 2, 0, time.UTC)), false},
		{"time from text in the side's zone", Compare{TimeTolerance: field.Duration(time.Second)}, instant, Text("2026-03-02 16:30:00"), true},
		{"exact time from text", Compare{}, instant, Text("2026-03-02 16:30:00"), true},
		{"time vs number", Compare{}, instant, Int(1), false},
		{"map", Compare{Map: map[string]string{"FROZEN": "F", "NORMAL": "N"}}, Text("FROZEN"), Text("F"), true},
		{"map mismatch", Compare{Map: map[string]string{"FROZEN": "F", "NORMAL": "N"}}, Text("FROZEN"), Text("N"), false},
		{"unmapped value compared as is", Compare{Map: map[string]string{"FROZEN": "F"}}, Text("X"), Text("X"), true},
		{"map to a number", Compare{Map: map[string]string{"FROZEN": "2"}}, Text("FROZEN"), Int(2), true},
		{"map with ci", Compare{Rule: RuleCI, Map: map[string]string{"Frozen": "f"}}, Text("FROZEN"), Text("F"), true},
		{"map a number", Compare{Map: map[string]string{"1": "ACTIVE"}}, Int(1), Text("ACTIVE"), true},
	}
	for _, tt := range tests {
		r := newColRule(tt.cmp, time.UTC, shanghai)
		if got := r.equal(tt.l, tt.r); got != tt.equal {
			t.Errorf("%s: equal(%v, %v) = %v, want %v", tt.name, tt.l, tt.r, got, tt.equal)
		}
	}
}
