package logpattern

import (
	"fmt"
	"strings"
	"testing"
)

// maskLine runs the scanner over msg and returns the masked tokens joined
// by spaces and the parameter values behind the <*>.
func maskLine(t *testing.T, msg string) (string, []string) {
	t.Helper()
	s := scanner{maxTokens: DefaultMaxTokens, maxTokenBytes: DefaultMaxTokenBytes}
	s.scan(msg)
	var parts, params []string
	for _, tk := range s.toks {
		raw := s.raw(&tk)
		parts = append(parts, string(s.out[tk.lo:tk.hi]))
		for _, sp := range s.spans[tk.spanLo:tk.spanHi] {
			params = append(params, raw[sp.lo:sp.hi])
		}
		if hashBytes(s.out[tk.lo:tk.hi]) != tk.hash {
			t.Errorf("token %q: hash is not the hash of its masked text", raw)
		}
	}
	return strings.Join(parts, " "), params
}

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
		params         []string
	}{
		{"words kept", "Verification succeeded for", "Verification succeeded for", nil},
		{"integer", "took 42 ms", "took <*> ms", []string{"42"}},
		{"signed and decimal", "keyId: -127633188) ratio 0.75", "keyId: <*>) ratio <*>", []string{"-127633188", "0.75"}},
		{"punctuation kept", "size=67108864, free=3", "size=<*>, free=<*>", []string{"67108864", "3"}},
		{"parenthesised", "(TID 42).", "(TID <*>).", []string{"42"}},
		{"hex 0x", "at 0x0b85eee0, mask 0x05", "at <*>, mask <*>", []string{"0x0b85eee0", "0x05"}},
		{"hex word", "QuorumServer@5ec2e4be", "QuorumServer@<*>", []string{"5ec2e4be"}},
		{"ipv4 and port", "10.251.73.220:50010 is added", "<*>:<*> is added", []string{"10.251.73.220", "50010"}},
		{"path with ip", "to /10.251.42.84", "to <*>", []string{"/10.251.42.84"}},
		{"path then port", "src: /10.250.14.38:37362", "src: <*>:<*>", []string{"/10.250.14.38", "37362"}},
		{"path", "file /mnt/hadoop/dfs/data", "file <*>", []string{"/mnt/hadoop/dfs/data"}},
		{"path with a dot at the end", "allocateBlock: /user/root/part-00347. blk_1", "allocateBlock: <*> <*>", []string{"/user/root/part-00347.", "blk_1"}},
		{"path in parens", "chdir(/p/gb2/t800) failed", "chdir(<*>) failed", []string{"/p/gb2/t800"}},
		{"path quoted", "node '/udev/vcsa2'", "node '<*>'", []string{"/udev/vcsa2"}},
		{"slash word kept", "power/control problem", "power/control problem", nil},
		{"ipv6", "from fe80::1ff:fe23:4567:890a port 22", "from <*> port <*>", []string{"fe80::1ff:fe23:4567:890a", "22"}},
		{"ipv6 bracket port", "[2001:db8::1]:8080", "[<*>]:<*>", []string{"2001:db8::1", "8080"}},
		{"mac", "hw 00:1a:2b:3c:4d:5e", "hw <*>", []string{"00:1a:2b:3c:4d:5e"}},
		{"clock time keeps colons", "at 07:07:00", "at <*>:<*>:<*>", []string{"07", "07", "00"}},
		{"iso timestamp", "ts=2015-10-18T18:01:47.978Z ok", "ts=<*> ok", []string{"2015-10-18T18:01:47.978Z"}},
		{"date", "on 2024-02-29", "on <*>", []string{"2024-02-29"}},
		{"uuid", "req 123e4567-e89b-12d3-a456-426614174000", "req <*>", []string{"123e4567-e89b-12d3-a456-426614174000"}},
		{"url", "Input split: hdfs://host:9000/a.txt:0+1", "Input split: hdfs://<*>", []string{"host:9000/a.txt:0+1"}},
		{"url in brackets", "on :[akka.tcp://sys@10.0.0.1:4000]", "on :[akka.tcp://<*>]", []string{"sys@10.0.0.1:4000"}},
		{"email", "mail bob.smith@example.com sent", "mail <*> sent", []string{"bob.smith@example.com"}},
		{"hostname", "rhost=220-135-151-1.hinet-ip.hinet.net", "rhost=<*>", []string{"220-135-151-1.hinet-ip.hinet.net"}},
		{"java class kept", "org.apache.hadoop.mapreduce.v2.app.MRAppMaster", "org.apache.hadoop.mapreduce.v2.app.MRAppMaster", nil},
		{"reverse dns kept", "packageName = com.huawei.health", "packageName = com.huawei.health", nil},
		{"country code host", "rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om x.co.uk", "rhost=<*> <*>", []string{"5.36.59.76.dynamic-dsl-ip.omantel.net.om", "x.co.uk"}},
		{"config key kept", "mapred.job.id is deprecated", "mapred.job.id is deprecated", nil},
		{"hex-looking host", "proxy : 04DN8IQ.fareast.corp.microsoft.com:54883", "proxy : <*>:<*>", []string{"04DN8IQ.fareast.corp.microsoft.com", "54883"}},
		{"underscore id", "for job_1445144423722_0020 and blk_-42", "for <*> and <*>", []string{"job_1445144423722_0020", "blk_-42"}},
		{"underscore word kept", "jk2_init() Found", "jk2_init() Found", nil},
		{"dash id", "node node-246 and Interconnect-0T", "node node-<*> and Interconnect-<*>T", []string{"246", "0"}},
		{"dotted suffix", "generating core.2275", "generating core.<*>", []string{"2275"}},
		{"dotted leader", "alignment...............0", "alignment...............<*>", []string{"0"}},
		{"sentence dot", "port 8080.", "port <*>.", []string{"8080"}},
		{"collapse dot", "v 1.2.3", "v <*>", []string{"1.2.3"}},
		{"collapse adjacent", "<*><*> x", "<*> x", []string{"<*><*>"}},
		{"unit suffix", "totalSteps=7163Calories:153367", "totalSteps=<*>Calories:<*>", []string{"7163", "153367"}},
		{"mostly digits", "R23 tty2", "<*> tty2", []string{"R23"}},
		{"bool null", "isScreenOn true (null)", "isScreenOn <*> (<*>)", []string{"true", "null"}},
		{"none kept", "Failed none for", "Failed none for", nil},
		{"spaces collapsed", "a   b\t\tc", "a b c", nil},
		{"literal wildcard", "value <*> here", "value <*> here", []string{"<*>"}},
		{"masked path", "to /<*> and a/<*>", "to <*> and a/<*>", []string{"/<*>", "<*>"}},
		{"long digit run in word", "ab13812345678cdefghijklmn", "<*>", []string{"ab13812345678cdefghijklmn"}},
		{"long token", strings.Repeat("ab", 100), "<*>", []string{strings.Repeat("ab", 100)}},
		{"ctime date", "at Wed Jul 27 10:59:53 2005 ok", "at <*>:<*>:<*> ok", []string{"Wed Jul 27 10", "59", "53 2005"}},
		{"syslog date", "since Jun  9 06:06:20.5, not Sun", "since <*>:<*>:<*>, not Sun", []string{"Jun  9 06", "06", "20.5"}},
		{"date with zone", "#1 Sat May 8 09:04:50 EDT 2004", "#<*> <*>:<*>:<*> EDT <*>", []string{"1", "Sat May 8 09", "04", "50", "2004"}},
		{"not a date", "May 8 be fine", "May <*> be fine", []string{"8"}},
		{"size unit", "size 6.0 KB, free 874.3 MiB)", "size <*>, free <*>)", []string{"6.0 KB", "874.3 MiB"}},
		{"unit word kept", "stored as B tree 7 B", "stored as B tree <*>", []string{"7 B"}},
		{"version", "sdpd v1.5 and V2.0.1 v2", "sdpd <*> and <*> v2", []string{"v1.5", "V2.0.1"}},
		{"serial name", "host msra-sa-41:9000 mesos-slave-07", "host <*>:<*> <*>", []string{"msra-sa-41", "9000", "mesos-slave-07"}},
		{"closing bracket", "<memory:1024, vCores:1>", "<memory:<*>, vCores:<*>", []string{"1024", "1>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, params := maskLine(t, tt.in)
			if got != tt.want {
				t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Join(params, "|") != strings.Join(tt.params, "|") {
				t.Errorf("params(%q) = %q, want %q", tt.in, params, tt.params)
			}
			if n := strings.Count(got, wildcard); n != len(params) {
				t.Errorf("%d <*> but %d params", n, len(params))
			}
		})
	}
}

func TestMaskKeyValues(t *testing.T) {
	m, err := New(Config{MaskKeyValues: true})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Add("login user=root,tty=NODEVssh mode= x").Template
	if want := "login user=<*>,tty=<*> mode= x"; got != want {
		t.Errorf("template %q, want %q", got, want)
	}
}

func TestPII(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"china id", "110101199003074477", PIIChinaID},
		{"china id X", "11010519491231002X", PIIChinaID},
		{"china id bad checksum", "110101199003074476", "110101199003074476"},
		{"18 digits bad checksum but Luhn: card", "110101199003074478", PIICard},
		{"mobile", "13812345678", PIIMobile},
		{"mobile with 86", "8613812345678", PIIMobile},
		{"not mobile 12x", "12812345678", "12812345678"},
		{"card luhn", "4111111111111111", PIICard},
		{"card luhn 19", "6011000990139424009", PIICard},
		{"card bad luhn", "4111111111111112", "4111111111111112"},
		{"short number", "12345", "12345"},
		{"embedded", "phone:13812345678,card=4111111111111111", "phone:" + PIIMobile + ",card=" + PIICard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendRedacted(nil, tt.in)); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPIINeverInOutput(t *testing.T) {
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"110101199003074477", "13812345678", "4111111111111111"}
	lines := []string{
		"user 110101199003074477 logged in",
		"sms to 13812345678 sent",
		"sms to tel:+8613812345678 sent",
		"pay card=4111111111111111, amount=3",
		"weird abc13812345678xyzabcdefghijk token",
		"path /users/110101199003074477/profile",
		"json {\"card\":\"4111111111111111\"}",
	}
	for _, l := range lines {
		got := m.Add(l)
		for _, s := range secrets {
			if strings.Contains(got.Template, s) {
				t.Errorf("%q: template %q holds personal data", l, got.Template)
			}
			for _, p := range got.Params {
				if strings.Contains(p, s) {
					t.Errorf("%q: param %q holds personal data", l, p)
				}
			}
		}
	}
	for _, tp := range m.Templates() {
		for _, s := range secrets {
			if strings.Contains(tp.Template, s) {
				t.Errorf("template %q holds personal data", tp.Template)
			}
		}
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(snap), s) {
			t.Errorf("snapshot holds %s", s)
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"a b c", "10.0.0.1:80", "x=1,y=/a/b", "fe80::1", "<*><*>", "\xff\xfe", "2015-10-18T18:01:47Z", "13812345678", "a.b.c.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		s := scanner{maxTokens: 8, maxTokenBytes: 32}.withCaches()
		s.scan(msg)
		// Scanning again goes through the caches: the same result.
		first := scanResult(&s)
		s.scan(msg)
		if again := scanResult(&s); again != first {
			t.Fatalf("%q: cached scan %q, first scan %q", msg, again, first)
		}
		for _, tk := range s.toks {
			raw := s.raw(&tk)
			out := string(s.out[tk.lo:tk.hi])
			if out == "" {
				t.Fatalf("empty token from %q", msg)
			}
			if n := strings.Count(out, wildcard); n != int(tk.spanHi-tk.spanLo) {
				t.Fatalf("token %q -> %q: %d <*> but %d spans", raw, out, n, tk.spanHi-tk.spanLo)
			}
			for _, sp := range s.spans[tk.spanLo:tk.spanHi] {
				if sp.lo < 0 || sp.hi > int32(len(raw)) || sp.lo >= sp.hi {
					t.Fatalf("token %q: bad span %v", raw, sp)
				}
			}
			if hasLongDigitRun(out, 7) {
				t.Fatalf("token %q -> %q keeps a long digit run", raw, out)
			}
		}
	})
}

// scanResult renders the scanner's tokens, masked texts, spans, hashes
// and flags for comparison.
func scanResult(s *scanner) string {
	var b strings.Builder
	for _, tk := range s.toks {
		fmt.Fprintf(&b, "%q %q %v %x %v %v|", s.raw(&tk), s.out[tk.lo:tk.hi], s.spans[tk.spanLo:tk.spanHi], tk.hash, tk.hasDigit, tk.isWord)
	}
	return b.String()
}

// TestScanCaches checks that the literal and shape caches are invisible:
// every Loghub message scans the same with warm caches as with cold ones.
func TestScanCaches(t *testing.T) {
	sets := loadLoghub(t)
	warm := scanner{maxTokens: DefaultMaxTokens, maxTokenBytes: DefaultMaxTokenBytes}.withCaches()
	for _, set := range sets {
		for _, msg := range set.content {
			warm.scan(msg)
		}
	}
	cold := scanner{maxTokens: DefaultMaxTokens, maxTokenBytes: DefaultMaxTokenBytes}
	for _, set := range sets {
		for _, msg := range set.content {
			cold.scan(msg)
			warm.scan(msg)
			if a, b := scanResult(&cold), scanResult(&warm); a != b {
				t.Fatalf("%s %q:\ncold %s\nwarm %s", set.name, msg, a, b)
			}
		}
	}
}

func hasLongDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			if run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          bool
	}{
		{"tty=:<*>", "tty=NODEVssh", false},
		{"tty=<*>", "tty=NODEVssh", true},
		{"(<*>)", "()", true},
		{"(<*>)", "(null)", true},
		{"(<*>)", "null)", false},
		{"<*>", "", true},
		{"a<*>b<*>c", "axxbyyc", true},
		{"a<*>b<*>c", "axxbyy", false},
		{"<*>:<*>", "host:80", true},
		{"x", "xy", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.text); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.text, got, tt.want)
		}
	}
}
