package logpattern

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seismo-dev/seismo/config/field"
)

func newMiner(t testing.TB, cfg Config) *Miner {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		paths []string
	}{
		{"defaults", Config{}, nil},
		{"bad", Config{Depth: 2, SimilarityThreshold: 1.5, MaxChildren: -1, MaxClusters: -1, MaxClustersPerLeaf: -1,
			MaxLineBytes: 1, MaxTokens: -1, MaxTokenBytes: 1,
			Masks: []MaskConfig{{Regex: "("}, {Name: "x"}}},
			[]string{"depth", "similarity_threshold", "max_children", "max_clusters", "max_clusters_per_leaf",
				"max_line_bytes", "max_tokens", "max_token_bytes", "masks[0].name", "masks[0].regex", "masks[1].regex"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.ApplyDefaults()
			err := cfg.Validate()
			var paths []string
			var list field.List
			if errors.As(err, &list) {
				for _, e := range list {
					paths = append(paths, e.Path)
				}
			} else if err != nil {
				t.Fatalf("error %v is not a field.List", err)
			}
			if diff := cmp.Diff(tt.paths, paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if _, err := New(tt.cfg); (err != nil) != (tt.paths != nil) {
				t.Errorf("New error = %v", err)
			}
		})
	}
}

func TestMinerClustering(t *testing.T) {
	m := newMiner(t, Config{})
	type step struct {
		msg      string
		template string
		params   []string
		change   ChangeKind
		sameAs   int // index of an earlier step with the same cluster, or -1
	}
	steps := []step{
		{"Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:50010", "Receiving block <*> src: <*>:<*> dest: <*>:<*>",
			[]string{"blk_1", "/10.0.0.1", "5", "/10.0.0.2", "50010"}, ChangeCreated, -1},
		{"Receiving block blk_2 src: /10.0.0.3:6 dest: /10.0.0.4:50010", "Receiving block <*> src: <*>:<*> dest: <*>:<*>",
			[]string{"blk_2", "/10.0.0.3", "6", "/10.0.0.4", "50010"}, ChangeNone, 0},
		// Words are constants until a third value at the same place makes
		// them a variable: the clusters merge into the oldest.
		{"session opened for user root", "session opened for user root", nil, ChangeCreated, -1},
		{"session opened for user cyrus", "session opened for user cyrus", nil, ChangeCreated, -1},
		{"session opened for user news", "session opened for user <*>", []string{"news"}, ChangeChanged, 2},
		{"session closed for user news", "session closed for user news", nil, ChangeCreated, -1},
		{"auth failure; logname= uid=0 tty=NODEVssh user=root", "auth failure; logname= uid=<*> tty=NODEVssh user=root", []string{"0"}, ChangeCreated, -1},
		{"auth failure; logname= uid=0 tty=NODEVssh user=guest", "auth failure; logname= uid=<*> tty=NODEVssh user=<*>", []string{"0", "guest"}, ChangeChanged, 7},
		{"completely different words here", "completely different words here", nil, ChangeCreated, -1},
	}
	ids := make([]uint64, len(steps))
	for i, st := range steps {
		got := m.Add(st.msg)
		ids[i] = got.ClusterID
		if got.Template != st.template || got.Change != st.change {
			t.Errorf("step %d: %q -> %q (%v), want %q (%v)", i, st.msg, got.Template, got.Change, st.template, st.change)
		}
		if diff := cmp.Diff(st.params, got.Params); diff != "" {
			t.Errorf("step %d params (-want +got):\n%s", i, diff)
		}
		if st.sameAs >= 0 && got.ClusterID != m.Canonical(ids[st.sameAs]) {
			t.Errorf("step %d: cluster %d, want %d", i, got.ClusterID, ids[st.sameAs])
		}
		if st.sameAs < 0 {
			for j := 0; j < i; j++ {
				if m.Canonical(ids[j]) == got.ClusterID {
					t.Errorf("step %d: reused cluster of step %d", i, j)
				}
			}
		}
	}
	if got := m.Canonical(ids[3]); got != ids[2] {
		t.Errorf("Canonical(%d) = %d, want the surviving cluster %d", ids[3], got, ids[2])
	}
	tps := m.Templates()
	if len(tps) != 5 {
		t.Fatalf("%d templates, want 5: %v", len(tps), tps)
	}
	if tps[1].Template != "session opened for user <*>" || tps[1].Count != 3 || tps[1].FirstLine != 3 || tps[1].LastLine != 5 {
		t.Errorf("template 2 = %+v", tps[1])
	}
	st := m.Stats()
	if st.Lines != 9 || st.Clusters != 5 || st.Created != 6 || st.Changed != 2 || st.Absorbed != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestMinerThreshold(t *testing.T) {
	for _, tt := range []struct {
		st       float64
		clusters int
	}{{0.5, 1}, {0.9, 2}} {
		m := newMiner(t, Config{SimilarityThreshold: tt.st})
		// Tokens with digits may vary; words may not (TestMinerWordsAreConstants).
		m.Add("alpha beta gamma d1d e1e")
		m.Add("alpha beta gamma o1o w1w")
		if got := m.Stats().Clusters; got != tt.clusters {
			t.Errorf("st=%v: %d clusters, want %d", tt.st, got, tt.clusters)
		}
	}
}

func TestMinerWordsAreConstants(t *testing.T) {
	m := newMiner(t, Config{})
	a := m.Add("Received disconnect from 10.0.0.1: 11: Bye Bye [preauth]")
	b := m.Add("Received disconnect from 10.0.0.2: 11: disconnected by user")
	c := m.Add("Received disconnect from 10.0.0.3: 11: Bye Bye [preauth]")
	if a.ClusterID == b.ClusterID || c.ClusterID != a.ClusterID || c.Template != "Received disconnect from <*>: <*>: Bye Bye [preauth]" {
		t.Errorf("clusters %d %d %d, template %q", a.ClusterID, b.ClusterID, c.ClusterID, c.Template)
	}
	// Tokens with variables stay apart from tokens they cannot stand for.
	x := m.Add("auth failure; uid=0 tty=NODEVssh rhost=10.0.0.1")
	y := m.Add("auth failure; uid=0 tty=:0 rhost=10.0.0.2")
	z := m.Add("session opened for cyrus by (uid=0)")
	w := m.Add("session opened for cyrus by LOGIN(uid=0)")
	if x.ClusterID == y.ClusterID || z.ClusterID == w.ClusterID {
		t.Errorf("merged: %q and %q, %q and %q", x.Template, y.Template, z.Template, w.Template)
	}
	// A key=value value is data: it may vary.
	m.Add("auth failure rhost=10.0.0.1 user=root")
	if got := m.Add("auth failure rhost=10.0.0.2 user=admin"); got.Template != "auth failure rhost=<*> user=<*>" || got.Change != ChangeChanged {
		t.Errorf("key=value: %+v", got)
	}
}

func TestMinerVariableWordInRoute(t *testing.T) {
	m := newMiner(t, Config{Depth: 5}) // routes by the first three tokens
	var ids []uint64
	for _, u := range []string{"admin", "test", "oracle"} {
		ids = append(ids, m.Add("Invalid user "+u+" from 10.0.0.1").ClusterID)
	}
	if ids[0] == ids[1] || m.Canonical(ids[1]) != ids[0] {
		t.Errorf("ids %v, Canonical(%d) = %d", ids, ids[1], m.Canonical(ids[1]))
	}
	for _, u := range []string{"guest", "admin", "test"} {
		msg := "Invalid user " + u + " from 10.0.0.2"
		if got, ok := m.Match(msg); !ok || got.ClusterID != ids[0] {
			t.Errorf("Match(%q) = %+v, %v", msg, got, ok)
		}
		got := m.Add(msg)
		if got.ClusterID != ids[0] || got.Template != "Invalid user <*> from <*>" || got.Change != ChangeNone {
			t.Errorf("Add(%q) = %+v", msg, got)
		}
	}
	if st := m.Stats(); st.Clusters != 1 || st.Absorbed != 1 {
		t.Errorf("stats %+v", st)
	}
	// The merged branches are pruned: one leaf down the child of variable words.
	n := m.roots[5].children[hashString("Invalid")].children[hashString("user")]
	if len(n.children) != 0 || n.varKid == nil || n.wildKid != nil {
		t.Errorf("node after user: %d children, var %v, wild %v", len(n.children), n.varKid != nil, n.wildKid != nil)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Add("Invalid user zed from 10.0.0.3"); got.ClusterID != ids[0] || got.Change != ChangeNone {
		t.Errorf("restored: %+v", got)
	}
}

func TestMinerAbsorbCovered(t *testing.T) {
	m := newMiner(t, Config{Depth: 5, SimilarityThreshold: 0.6}) // routes by the first three tokens
	a := m.Add("Invalid user webmaster from 10.0.0.1")
	b := m.Add("Invalid user test9 from 10.0.0.2") // a digit: the wildcard branch
	c := m.Add("Invalid user chen from 10.0.0.3")  // joins test9's template down the wildcard child
	if c.ClusterID != b.ClusterID || c.Template != "Invalid user <*> from <*>" || c.Change != ChangeChanged {
		t.Fatalf("got %+v", c)
	}
	// webmaster's template is covered now: one cluster is left.
	if st := m.Stats(); st.Clusters != 1 || st.Absorbed != 1 || m.Canonical(a.ClusterID) != b.ClusterID {
		t.Errorf("stats %+v, Canonical(%d) = %d", st, a.ClusterID, m.Canonical(a.ClusterID))
	}
	if got := m.Add("Invalid user webmaster from 10.0.0.4"); got.ClusterID != b.ClusterID || got.Change != ChangeNone {
		t.Errorf("webmaster again: %+v", got)
	}
}

func TestMinerMaxChildren(t *testing.T) {
	m := newMiner(t, Config{MaxChildren: 2, Depth: 3})
	for _, w := range []string{"apple", "banana", "cherry", "damson", "elder"} {
		m.Add(w + " is a fruit")
	}
	root := m.roots[4]
	if len(root.children) != 2 || root.wildKid == nil {
		t.Fatalf("children %d, wildcard %v; want 2 and a wildcard child", len(root.children), root.wildKid != nil)
	}
	// cherry, damson and elder share the wildcard leaf; a first word is
	// never made a variable.
	if got := len(root.wildKid.clusters); got != 3 || root.wildKid.clusters[0].template != "cherry is a fruit" {
		t.Errorf("wildcard leaf: %d clusters %v", got, m.Templates())
	}
}

func TestMinerLRUCap(t *testing.T) {
	m := newMiner(t, Config{MaxClusters: 3})
	msgs := []string{"one a", "two b c", "three d e f", "one a"}
	for _, s := range msgs {
		m.Add(s)
	}
	m.Add("four g h i j") // evicts "two b c", the least recently used
	var got []string
	for _, tp := range m.Templates() {
		got = append(got, tp.Template)
	}
	if diff := cmp.Diff([]string{"one a", "three d e f", "four g h i j"}, got); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
	if st := m.Stats(); st.Evictions != 1 || st.Clusters != 3 {
		t.Errorf("stats %+v", st)
	}
	if m.roots[3] != nil {
		t.Errorf("the evicted cluster's tree branch was not pruned")
	}
}

func TestMinerExplosionGuard(t *testing.T) {
	m := newMiner(t, Config{MaxClustersPerLeaf: 3, SimilarityThreshold: 1, Depth: 3})
	var last Match
	for _, w := range []string{"aa", "bb", "cc", "dd", "ee"} {
		last = m.Add("start " + w + " end " + w)
	}
	// dd is forced into a template (generalising it), which then covers
	// the other two, which it absorbs, and ee.
	st := m.Stats()
	if st.Clusters != 1 || st.Merges != 1 || st.Absorbed != 2 || last.Template != "start <*> end <*>" {
		t.Errorf("stats %+v, last %q; want 1 cluster, 1 merge, 2 absorbed, start <*> end <*>", st, last.Template)
	}
}

func TestMinerNewTemplateEveryLine(t *testing.T) {
	m := newMiner(t, Config{MaxClusters: 50})
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	for i := 0; i < 5000; i++ {
		// Words only (no digits), a different shape on every line.
		var b strings.Builder
		for k, n := 0, 1+i%7; k < n; k++ {
			b.WriteString(words[(i*7+k*3+i/7)%len(words)])
			b.WriteString(strings.Repeat("x", (i/49+k)%5))
			b.WriteByte(' ')
		}
		m.Add(b.String())
	}
	st := m.Stats()
	if st.Clusters > 50 {
		t.Errorf("%d clusters, cap 50", st.Clusters)
	}
	if st.Evictions == 0 {
		t.Errorf("no evictions: %+v", st)
	}
	nodes := 0
	var walk func(n *node)
	walk = func(n *node) {
		nodes++
		for _, k := range n.children {
			walk(k)
		}
		if n.wildKid != nil {
			walk(n.wildKid)
		}
	}
	for _, r := range m.roots {
		if r != nil {
			walk(r)
		}
	}
	if max := 50 * m.cfg.Depth; nodes > max {
		t.Errorf("%d tree nodes for %d clusters", nodes, st.Clusters)
	}
}

func TestMinerMatchOnly(t *testing.T) {
	m := newMiner(t, Config{})
	a := m.Add("login of alice from 10.0.0.1")
	m.Add("login of bob from 10.0.0.2")
	m.Add("login of dave from 10.0.0.4")
	before := m.Templates()
	got, ok := m.Match("login of carol from 10.0.0.3")
	if !ok || got.ClusterID != a.ClusterID || got.Template != "login of <*> from <*>" || got.Change != ChangeNone {
		t.Errorf("Match = %+v, %v", got, ok)
	}
	if diff := cmp.Diff([]string{"carol", "10.0.0.3"}, got.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	for _, msg := range []string{"login of carol to 10.0.0.3", "never seen before", ""} {
		if got, ok := m.Match(msg); ok {
			t.Errorf("Match(%q) = %+v, want no match", msg, got)
		}
	}
	if diff := cmp.Diff(before, m.Templates()); diff != "" {
		t.Errorf("Match changed the templates (-before +after):\n%s", diff)
	}
	if m.Stats().Lines != 3 {
		t.Errorf("Match counted lines")
	}
}

func TestMinerSnapshotRestore(t *testing.T) {
	m := newMiner(t, Config{MaxClusters: 100, Masks: []MaskConfig{{Name: "acct", Regex: `acct-[a-z]+`, Replace: "<ACCT>"}}})
	msgs := []string{
		"user alice logged in acct-xyz",
		"user bob logged in acct-abc",
		"disk /dev/sda1 is 93% full",
		"disk /dev/sdb1 is 12% full",
		"shutting down",
		"auth ok for name=alice,",
		"auth ok for name=bob,",
		"job done by alpha", "job done by beta", "job done by gamma", // merged: an alias
	}
	for _, s := range msgs {
		m.Add(s)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m.Templates(), r.Templates()); diff != "" {
		t.Errorf("templates (-orig +restored):\n%s", diff)
	}
	if diff := cmp.Diff(m.Stats(), r.Stats()); diff != "" {
		t.Errorf("stats (-orig +restored):\n%s", diff)
	}
	if m.Stats().Absorbed == 0 {
		t.Fatal("no merged cluster to restore")
	}
	for id := uint64(1); id <= m.nextID; id++ {
		if a, b := m.Canonical(id), r.Canonical(id); a != b {
			t.Errorf("Canonical(%d) = %d, restored %d", id, a, b)
		}
	}
	// Both continue identically.
	for _, s := range []string{"user carol logged in acct-q", "disk /dev/sdc1 is 50% full", "brand new line", "auth ok for name=carol,"} {
		a, b := m.Add(s), r.Add(s)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%q (-orig +restored):\n%s", s, diff)
		}
	}
	snap2, _ := r.Snapshot()
	snap1, _ := m.Snapshot()
	if !bytes.Equal(snap1, snap2) {
		t.Errorf("snapshots differ after the same input")
	}
	for _, bad := range []string{"", "{", `{"version":99}`, `{"version":1,"config":{"Depth":1}}`,
		`{"version":1,"next_id":1,"clusters":[{"id":1,"tokens":["a"],"route":[]}]}`,
		`{"version":1,"next_id":1,"clusters":[{"id":2,"tokens":["a"],"route":[false]}]}`} {
		if _, err := Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%q) succeeded", bad)
		}
	}
}

func TestCoarsen(t *testing.T) {
	m := newMiner(t, Config{SimilarityThreshold: 1})
	for i := 0; i < 3; i++ {
		m.Add("connection from alpha closed normally")
	}
	m.Add("connection from bravo closed normally")
	m.Add("connection from bravo closed abruptly")
	m.Add("totally unrelated message of six")
	if n := len(m.Templates()); n != 4 {
		t.Fatalf("%d templates, want 4", n)
	}
	tests := []struct {
		level float64
		want  []TemplateGroup
	}{
		{1, []TemplateGroup{
			{"connection from alpha closed normally", []uint64{1}, 3},
			{"connection from bravo closed normally", []uint64{2}, 1},
			{"connection from bravo closed abruptly", []uint64{3}, 1},
			{"totally unrelated message of six", []uint64{4}, 1}}},
		{0.8, []TemplateGroup{
			{"connection from <*> closed normally", []uint64{1, 2}, 4},
			{"connection from bravo closed abruptly", []uint64{3}, 1},
			{"totally unrelated message of six", []uint64{4}, 1}}},
		{0.6, []TemplateGroup{
			{"connection from <*> closed <*>", []uint64{1, 2, 3}, 5},
			{"totally unrelated message of six", []uint64{4}, 1}}},
		{0, []TemplateGroup{
			{"<*> <*> <*> <*> <*>", []uint64{1, 2, 3, 4}, 6}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.level), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, m.Coarsen(tt.level)); diff != "" {
				t.Errorf("Coarsen (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(m.Templates()); n != 4 {
		t.Errorf("Coarsen changed the miner: %d templates", n)
	}
}

func TestMinerBadInput(t *testing.T) {
	m := newMiner(t, Config{})
	huge := strings.Repeat("word ", 1<<20/5)
	binary := string([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 'a', 0x1b, 0x10, 0x11, 0x12})
	tests := []struct {
		name   string
		msg    string
		mined  bool
		check  func(Match) string
		reason func(Stats) uint64
	}{
		{"1 MiB line", huge, true, func(mt Match) string {
			if n := len(strings.Fields(mt.Template)); n != DefaultMaxTokens {
				return fmt.Sprintf("%d tokens", n)
			}
			return ""
		}, func(s Stats) uint64 { return s.TooLong }},
		{"binary", binary, false, nil, func(s Stats) uint64 { return s.Binary }},
		{"invalid utf8", "bad \xff\xfe byte here", true, func(mt Match) string {
			if mt.Template != "bad \uFFFD byte here" {
				return mt.Template
			}
			return ""
		}, func(s Stats) uint64 { return s.InvalidUTF8 }},
		{"empty", "", false, nil, func(s Stats) uint64 { return s.Empty }},
		{"spaces", " \t  ", false, nil, func(s Stats) uint64 { return s.Empty }},
		{"all variables", "10.0.0.1 42 0xff /tmp/x 2024-01-01 true", true, func(mt Match) string {
			if mt.Template != "<*> <*> <*> <*> <*> <*>" || len(mt.Params) != 6 {
				return fmt.Sprintf("%q %q", mt.Template, mt.Params)
			}
			return ""
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before uint64
			if tt.reason != nil {
				before = tt.reason(m.Stats())
			}
			got := m.Add(tt.msg)
			if (got.ClusterID != 0) != tt.mined {
				t.Errorf("mined = %v, want %v", got.ClusterID != 0, tt.mined)
			}
			if tt.check != nil {
				if msg := tt.check(got); msg != "" {
					t.Error(msg)
				}
			}
			if tt.reason != nil && tt.reason(m.Stats()) != before+1 {
				t.Errorf("bad-line counter not incremented: %+v", m.Stats())
			}
			if len(got.Template) > DefaultMaxLineBytes {
				t.Errorf("template of %d bytes", len(got.Template))
			}
		})
	}
	if st := m.Stats(); st.ManyTokens != 1 {
		t.Errorf("many tokens = %d, want 1", st.ManyTokens)
	}
}

func FuzzMinerAdd(f *testing.F) {
	for _, s := range []string{"a b c", "user 13812345678 login", "x=1 y=/a/b", "\x00\x01", "\xff", ""} {
		f.Add(s, "a b 2")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		m, err := New(Config{MaxTokens: 6, MaxTokenBytes: 16, MaxClusters: 4, MaxLineBytes: 64})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range []string{a, b, a + " " + b, b + " 13812345678"} {
			got := m.Add(msg)
			if n := strings.Count(got.Template, wildcard); n != len(got.Params) {
				t.Fatalf("%q: template %q has %d <*> but %d params %q", msg, got.Template, n, len(got.Params), got.Params)
			}
			if hasLongDigitRun(got.Template, 7) {
				t.Fatalf("template %q keeps a long digit run", got.Template)
			}
			for _, p := range got.Params {
				if strings.Contains(p, "13812345678") {
					t.Fatalf("param %q holds a mobile number", p)
				}
			}
			if mt, ok := m.Match(msg); ok && mt.ClusterID != got.ClusterID {
				t.Fatalf("Match(%q) = cluster %d, Add gave %d", msg, mt.ClusterID, got.ClusterID)
			}
		}
		if m.Stats().Clusters > 4 {
			t.Fatalf("%d clusters", m.Stats().Clusters)
		}
	})
}

func TestMinerConcurrent(t *testing.T) {
	m := newMiner(t, Config{})
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 500; i++ {
				m.Add(fmt.Sprintf("worker %d step %d done", g, i))
				m.Match("worker 1 step 2 done")
				_ = m.Stats()
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if st := m.Stats(); st.Lines != 2000 || st.Clusters != 1 {
		t.Errorf("stats %+v, want 2000 lines in 1 cluster", st)
	}
}

func TestMinerAddTo(t *testing.T) {
	msgs := []string{
		"Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:50010",
		"session opened for user root by (uid=0)",
		"Receiving block blk_2 src: /10.0.0.3:6 dest: /10.0.0.4:50010",
		"payment card 6222021234567890128 declined", // Luhn-valid: redacted
		"",
		"session opened for user news by (uid=0)",
	}
	a, b := newMiner(t, Config{}), newMiner(t, Config{})
	var mt Match
	for _, msg := range msgs {
		want := a.Add(msg)
		b.AddTo(msg, &mt)
		got := mt
		if len(got.Params) == 0 {
			got.Params = nil
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-Add +AddTo):\n%s", msg, diff)
		}
		if strings.Contains(msg, "card") && (len(got.Params) != 1 || got.Params[0] != PIICard) {
			t.Errorf("%q: params %q, want the card redacted", msg, got.Params)
		}
	}
	// A warm miner with a reused Match does not allocate.
	msg := "Receiving block blk_3 src: /10.0.0.5:7 dest: /10.0.0.6:50010"
	if n := testing.AllocsPerRun(100, func() { b.AddTo(msg, &mt) }); n != 0 {
		t.Errorf("AddTo: %v allocations per message, want 0", n)
	}
	if got := mt.Params; len(got) != 5 || got[0] != "blk_3" || got[4] != "50010" {
		t.Errorf("params %q", got)
	}
}

// TestLineCache checks that the line cache is invisible: a miner with it
// and one without give the same matches, parameters, templates and
// counters on every Loghub message, replayed twice so that the second
// round hits the cache.
func TestLineCache(t *testing.T) {
	sets := loadLoghub(t)
	var hits [2]int
	for _, set := range sets {
		cached, plain := newMiner(t, Config{}), newMiner(t, Config{})
		plain.lines = nil
		for round := 0; round < 2; round++ {
			for _, msg := range set.content {
				if cached.lines.lookup(msg, cached.epoch) != nil {
					hits[round]++
				}
				a, b := cached.Add(msg), plain.Add(msg)
				if diff := cmp.Diff(b, a); diff != "" {
					t.Fatalf("%s round %d %q (-uncached +cached):\n%s", set.name, round, msg, diff)
				}
			}
		}
		if diff := cmp.Diff(plain.Templates(), cached.Templates()); diff != "" {
			t.Errorf("%s templates (-uncached +cached):\n%s", set.name, diff)
		}
		if diff := cmp.Diff(plain.Stats(), cached.Stats()); diff != "" {
			t.Errorf("%s stats (-uncached +cached):\n%s", set.name, diff)
		}
	}
	if hits[1] == 0 {
		t.Error("the cache was never hit")
	}
	t.Logf("hits: first round %d, second round %d", hits[0], hits[1])
}
