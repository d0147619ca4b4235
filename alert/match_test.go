package alert

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
)

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		in   string
		want string // matchersString of the result; "" with err
		err  string // substring of the error
	}{
		// The forms of Alertmanager's documentation (configuration.md, "matcher").
		{in: `foo = bar`, want: `{foo="bar"}`},
		{in: `dings !=bums`, want: `{dings!="bums"}`},
		{in: `foo = "bar,baz"`, want: `{foo="bar,baz"}`},
		{in: `{foo="bar",dings!="bums"}`, want: `{foo="bar", dings!="bums"}`},
		{in: `foo="bar", dings!="bums"`, want: `{foo="bar", dings!="bums"}`},
		{in: `service=~"foo1|foo2|baz"`, want: `{service=~"foo1|foo2|baz"}`},
		{in: `alertname !~ "Watchdog|InfoInhibitor"`, want: `{alertname!~"Watchdog|InfoInhibitor"}`},
		// Quoting and escapes.
		{in: `a="with \"quotes\" and \\ backslash"`, want: `{a="with \"quotes\" and \\ backslash"}`},
		{in: `a="line\nbreak"`, want: `{a="line\nbreak"}`},
		{in: `a="}{,="`, want: `{a="}{,="}`},
		{in: `"utf8 name ✓"="v"`, want: `{"utf8 name ✓"="v"}`},
		{in: `a=~x{2}`, want: `{a=~"x{2}"}`},
		{in: `a=`, want: `{a=""}`},
		{in: `a=""`, want: `{a=""}`},
		{in: `  {  a = b ,  c =~ "d" , }  `, want: `{a="b", c=~"d"}`},
		{in: `{}`, want: `{}`},
		{in: ``, want: `{}`},
		// Errors.
		{in: `a`, err: "no operator"},
		{in: `a==b`, err: `unknown operator "=="`},
		{in: `=b`, err: "no label name"},
		{in: `a=~"x("`, err: `invalid regex "x("`},
		{in: `{a="b"`, err: "missing closing '}'"},
		{in: `a="b`, err: "unterminated quoted string"},
		{in: `a="b" c`, err: `unexpected "c" after the quoted value`},
		{in: `a=b"c"`, err: "quoted entirely or not at all"},
		{in: `a="\q"`, err: "invalid escape"},
		{in: `a=b,,c=d`, err: "empty matcher"},
		{in: `,`, err: "empty matcher"},
		{in: `a{b=c`, err: "contains"},
		{in: `a ~ b`, err: "no operator after the label name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ms, err := ParseMatchers(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseMatchers(%q) = %v, %v; want an error containing %q", tt.in, ms, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMatchers(%q): %v", tt.in, err)
			}
			if got := matchersString(ms); got != tt.want {
				t.Errorf("ParseMatchers(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestMatcherSemantics checks the matching rules routes and silences rely
// on: regexes are anchored, != and !~ match an absent label, and ="" only
// matches one.
func TestMatcherSemantics(t *testing.T) {
	ls := labels.FromStrings("service", "foo1", "severity", "critical")
	tests := []struct {
		matchers string
		want     bool
	}{
		{`service=~"foo1|foo2"`, true},
		{`service=~"foo"`, false}, // anchored: no substring match
		{`service=~"foo.*"`, true},
		{`service!~"foo.*"`, false},
		{`team!="x"`, true}, // team is absent
		{`team=""`, true},
		{`team=~".+"`, false},
		{`service=""`, false},
		{`severity="critical", service!="foo1"`, false},
		{`{severity=~"crit.*", service=~"foo[0-9]"}`, true},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.matchers)
		if err != nil {
			t.Fatal(err)
		}
		if got := matchAll(ms, ls); got != tt.want {
			t.Errorf("%s on %s = %v, want %v", tt.matchers, ls, got, tt.want)
		}
	}
}

func TestContradiction(t *testing.T) {
	tests := []struct {
		matchers string
		want     bool
	}{
		{`a="x", a="y"`, true},
		{`a="x", a!="x"`, true},
		{`a="x", a=~"y|z"`, true},
		{`a=~"x|y", a=~"y|z"`, false},
		{`a=~"x|y", a=~"z|w"`, true},
		{`a="x", a!~"x|y"`, true},
		{`a="x", a=~"x.*"`, false},
		{`a="", a=~".+"`, true},
		{`a="x", b="x"`, false},
		{`a!="x", a!="y"`, false}, // not pinned: not judged
		{`a=~".*x", a=~"y.*"`, false},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.matchers)
		if err != nil {
			t.Fatal(err)
		}
		if got := contradiction(ms) != ""; got != tt.want {
			t.Errorf("contradiction(%s) = %v, want %v", tt.matchers, got, tt.want)
		}
	}
}

// FuzzParseMatchers checks that whatever parses formats back into
// something that parses to the same matchers.
func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{`foo = bar`, `{foo="bar",dings!="bums"}`, `a=~"x|y", b!~"z"`, `"ü"="\n"`, `a=`, `{}`, `a="b\"c"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMatchers(s)
		if err != nil {
			return
		}
		again, err := ParseMatchers(matchersString(ms))
		if err != nil {
			t.Fatalf("%q parsed to %s, which does not parse: %v", s, matchersString(ms), err)
		}
		key := func(ms []*labels.Matcher) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.Type.String()+"\x00"+m.Name+"\x00"+m.Value)
			}
			return out
		}
		if diff := cmp.Diff(key(ms), key(again)); diff != "" {
			t.Fatalf("%q: round trip changed the matchers (-first +second):\n%s", s, diff)
		}
	})
}
