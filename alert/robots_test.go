package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// robotPeer is an httptest server speaking a chat robot's API: it checks
// each request the way the vendor does (key, signature), answers with the
// vendor's JSON, and keeps the accepted messages.
type robotPeer struct {
	t      *testing.T
	srv    *httptest.Server
	check  func(r *http.Request, body []byte) (status int, reply string) // non-zero status: refuse
	ok     string                                                        // the success answer
	mu     sync.Mutex
	script []robotReply // answers to the next requests, then ok
	bodies [][]byte     // accepted bodies
	reqs   int
}

type robotReply struct {
	status int
	body   string
	header map[string]string
}

func startRobot(t *testing.T, ok string, check func(r *http.Request, body []byte) (int, string)) *robotPeer {
	t.Helper()
	p := &robotPeer{t: t, check: check, ok: ok}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *robotPeer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.reqs++
	var rep *robotReply
	if len(p.script) > 0 {
		rep = &p.script[0]
		p.script = p.script[1:]
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if rep != nil {
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !json.Valid(body) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"errcode":40035,"errmsg":"invalid request"}`)
		return
	}
	if status, reply := p.check(r, body); status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, reply)
		return
	}
	p.mu.Lock()
	p.bodies = append(p.bodies, body)
	p.mu.Unlock()
	io.WriteString(w, p.ok)
}

func (p *robotPeer) accepted() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.bodies...)
}

func (p *robotPeer) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reqs
}

func (p *robotPeer) answer(replies ...robotReply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = append(p.script, replies...)
}

// hmacSHA256Base64 is HmacSHA256 of msg keyed by key, base64: computed
// here independently of the code under test.
func hmacSHA256Base64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	io.WriteString(m, msg)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// --- WeCom

const weComKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func startWeCom(t *testing.T) *robotPeer {
	return startRobot(t, `{"errcode":0,"errmsg":"ok"}`, func(r *http.Request, body []byte) (int, string) {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != weComKey {
			return http.StatusOK, `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1700000000_1_abc], from ip: 127.0.0.1"}`
		}
		var m struct {
			MsgType  string `json:"msgtype"`
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		if json.Unmarshal(body, &m) != nil || m.MsgType != "markdown" || m.Markdown.Content == "" {
			return http.StatusOK, `{"errcode":40008,"errmsg":"invalid message type"}`
		}
		if len(m.Markdown.Content) > weComMaxBytes {
			return http.StatusOK, `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}`
		}
		return 0, ""
	})
}

func weComConfig(p *robotPeer, edit func(*WeComConfig)) WeComConfig {
	c := WeComConfig{Key: literal(weComKey), APIURL: p.srv.URL + "/cgi-bin/webhook/send"}
	c.Timezone = "UTC"
	if edit != nil {
		edit(&c)
	}
	rc := ReceiverConfig{Name: "ops", WeComConfigs: []WeComConfig{c}}
	rc.applyDefaults(&GlobalConfig{})
	return rc.WeComConfigs[0]
}

func weComContents(t *testing.T, bodies [][]byte) []string {
	t.Helper()
	var out []string
	for _, b := range bodies {
		var m weComMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Markdown.Content)
	}
	return out
}

func TestWeComDelivers(t *testing.T) {
	p := startWeCom(t)
	w, err := NewWeCom(weComConfig(p, nil), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := w.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := weComContents(t, p.accepted())
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	for _, want := range []string{"## [FIRING:2] accounts (account_openings)", `<font color="warning">FIRING</font>`, "channel=branch", "[open in Seismo](http://seismo.example/)"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("content lacks %q:\n%s", want, got[0])
		}
	}
}

func TestWeComErrors(t *testing.T) {
	tests := []struct {
		name      string
		reply     robotReply
		wantRetry bool
		wantErr   string
		rateLimit bool
	}{
		{"wrong key", robotReply{200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, nil}, false, "93000", false},
		{"rate limited", robotReply{200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, nil}, true, "45009", true},
		{"busy", robotReply{200, `{"errcode":-1,"errmsg":"system busy"}`, nil}, true, "system busy", false},
		{"502 from a proxy", robotReply{502, `<html>bad gateway</html>`, nil}, true, "502", false},
		{"200 with HTML", robotReply{200, `<html>maintenance</html>`, nil}, true, "malformed", false},
		{"200 without errcode", robotReply{200, `{"ok":true}`, nil}, true, "malformed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startWeCom(t)
			p.answer(tt.reply)
			w, err := NewWeCom(weComConfig(p, nil), p.srv.Client(), fixedNow, quietLogger)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := w.Notify(t.Context(), fixedMessage())
			if err == nil || retry != tt.wantRetry || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Notify = %v, %v; want retry=%v and %q", retry, err, tt.wantRetry, tt.wantErr)
			}
			if got := retryAfter(err); tt.rateLimit != (got == weComRateWindow) {
				t.Errorf("requested pause %v", got)
			}
			if strings.Contains(err.Error(), weComKey) {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

// TestWeComWrongKeyIsRejected goes through the vendor's own check.
func TestWeComWrongKeyIsRejected(t *testing.T) {
	p := startWeCom(t)
	w, err := NewWeCom(weComConfig(p, func(c *WeComConfig) { c.Key = literal("not-the-key") }), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := w.Notify(t.Context(), fixedMessage()); err == nil || retry {
		t.Fatalf("Notify = %v, %v; want a permanent error", retry, err)
	}
}

// manyAlerts is a message of n firing alerts whose summaries are s.
func manyAlerts(n int, summary func(i int) string) *Message {
	t0 := time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)
	var as []*Alert
	for i := range n {
		ls := labels.FromStrings("alertname", "balance_mismatch", "account", fmt.Sprintf("%04d", i))
		as = append(as, &Alert{Labels: ls, Annotations: map[string]string{"summary": summary(i)}, StartsAt: t0, Fingerprint: FingerprintOf(ls)})
	}
	return newMessage("ops", "{}:{}", labels.EmptyLabels(), "http://seismo.example/", as)
}

// boundaryTemplates render "## T\n" and one line per alert: the size of
// a message is then known exactly.
func boundaryWeCom(p *robotPeer, maxMessages int) WeComConfig {
	return weComConfig(p, func(c *WeComConfig) {
		c.Title = "T"
		c.Text = `{{ range .Alerts }}{{ .Annotations.summary }};{{ end }}`
		c.MaxMessages = maxMessages
	})
}

func TestWeComSizeBoundary(t *testing.T) {
	const head = len("## T\n")
	p := startWeCom(t)
	// Four alerts whose content is exactly 4096 bytes, then one more byte.
	// The summaries are Chinese (3 bytes a character) plus ASCII padding.
	exact := func(extra int) *Message {
		per := (weComMaxBytes - head) / 4 // 1022 bytes each, ";" included
		return manyAlerts(4, func(i int) string {
			n := per - 1
			if i == 3 {
				n += (weComMaxBytes - head) - 4*per + extra
			}
			s := strings.Repeat("账", n/3)
			return s + strings.Repeat("x", n-len(s))
		})
	}
	for _, tt := range []struct {
		name      string
		msg       *Message
		wantParts int
	}{
		{"exactly 4096 bytes", exact(0), 1},
		{"4097 bytes", exact(1), 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWeCom(boundaryWeCom(p, 3), nil, fixedNow, quietLogger)
			if err != nil {
				t.Fatal(err)
			}
			bodies, err := w.Payloads(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			contents := weComContents(t, bodies)
			if len(contents) != tt.wantParts {
				t.Fatalf("%d messages, want %d (sizes %v)", len(contents), tt.wantParts, sizes(contents))
			}
			total := 0
			for _, c := range contents {
				if len(c) > weComMaxBytes || !utf8.ValidString(c) {
					t.Errorf("a message of %d bytes (valid UTF-8: %v)", len(c), utf8.ValidString(c))
				}
				total += strings.Count(c, ";")
			}
			if total != 4 {
				t.Errorf("%d alerts sent, want all 4", total)
			}
		})
	}
}

func sizes(ss []string) []int {
	var out []int
	for _, s := range ss {
		out = append(out, len(s))
	}
	return out
}

func TestWeComSplitsThenTruncates(t *testing.T) {
	p := startWeCom(t)
	// 100 alerts of about 300 bytes: 30 KB, more than three messages.
	msg := manyAlerts(100, func(i int) string { return fmt.Sprintf("%03d:", i) + strings.Repeat("余额不符", 25) })
	w, err := NewWeCom(boundaryWeCom(p, 3), nil, fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := w.Payloads(msg)
	if err != nil {
		t.Fatal(err)
	}
	contents := weComContents(t, bodies)
	if len(contents) != 3 {
		t.Fatalf("%d messages, want max_messages = 3", len(contents))
	}
	next := 0
	for i, c := range contents {
		if len(c) > weComMaxBytes {
			t.Errorf("message %d has %d bytes", i, len(c))
		}
		// Alerts keep their order across the messages.
		for _, item := range strings.Split(c[strings.Index(c, "\n")+1:], ";") {
			if len(item) < 4 || item[3] != ':' {
				continue
			}
			if n, _ := strconv.Atoi(item[:3]); n != next {
				t.Fatalf("message %d: alert %d after %d", i, n, next-1)
			}
			next++
		}
	}
	last := contents[2]
	wantLine := fmt.Sprintf("…and %d more alerts", 100-next)
	if !strings.HasSuffix(last, wantLine) {
		t.Errorf("the last message ends %q, want %q", last[max(0, len(last)-40):], wantLine)
	}
	if next < 3*weComMaxBytes/400 {
		t.Errorf("only %d alerts in three messages: the splitting wastes room", next)
	}
}

func TestWeComCutsOneHugeAlert(t *testing.T) {
	p := startWeCom(t)
	msg := manyAlerts(1, func(int) string { return strings.Repeat("异常", 3000) }) // 18000 bytes
	w, err := NewWeCom(boundaryWeCom(p, 3), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Notify(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	got := weComContents(t, p.accepted())
	if len(got) != 1 || len(got[0]) > weComMaxBytes || len(got[0]) < weComMaxBytes-3 || !utf8.ValidString(got[0]) || !strings.HasSuffix(got[0], "…") {
		t.Errorf("%d messages; the first has %d bytes, valid %v", len(got), len(got[0]), utf8.ValidString(got[0]))
	}
}

// TestWeComRetrySendsOnlyTheRest: when the second of three messages
// fails, the retry sends the second and third, not the first again.
func TestWeComRetrySendsOnlyTheRest(t *testing.T) {
	p := startWeCom(t)
	msg := manyAlerts(30, func(i int) string { return fmt.Sprintf("%03d:", i) + strings.Repeat("x", 300) })
	cfg := weComConfig(p, func(c *WeComConfig) {
		c.Text = `{{ range .Alerts }}{{ .Annotations.summary }};{{ end }}`
		c.MaxMessages = 3
	})
	m := deliveryManager(t, ReceiverConfig{Name: "ops", WeComConfigs: []WeComConfig{cfg}})
	in := m.receivers["ops"][0]
	// Fail the second request only.
	var calls atomic.Int32
	check := p.check
	p.check = func(r *http.Request, body []byte) (int, string) {
		if calls.Add(1) == 2 {
			return http.StatusOK, `{"errcode":-1,"errmsg":"system busy"}`
		}
		return check(r, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res := m.send(ctx, in, msg)
	if res.Status != NotificationSent || res.Attempts != 2 {
		t.Fatalf("send = %+v", res)
	}
	got := weComContents(t, p.accepted())
	if len(got) != 3 || p.requests() != 4 {
		t.Fatalf("%d messages accepted in %d requests; want 3 in 4", len(got), p.requests())
	}
	for i, c := range got {
		if !strings.Contains(c, fmt.Sprintf("(%d/3)", i+1)) {
			t.Errorf("message %d is not part %d/3: %q", i, i+1, c[:40])
		}
	}
}

// TestWeComRateLimitPausesTheRobot: 45009 pauses the integration for the
// robot's minute; the flush ends without hammering it.
func TestWeComRateLimitPausesTheRobot(t *testing.T) {
	p := startWeCom(t)
	p.answer(robotReply{200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, nil})
	synctest.Test(t, func(t *testing.T) {
		m := deliveryManager(t, ReceiverConfig{Name: "ops", WeComConfigs: []WeComConfig{weComConfig(p, nil)}})
		in := m.receivers["ops"][0]
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		res := m.send(ctx, in, fixedMessage())
		if res.Status != NotificationFailed || res.Attempts != 1 || p.requests() != 1 {
			t.Fatalf("send = %+v, %d requests; want one attempt, then wait past the flush", res, p.requests())
		}
		time.Sleep(time.Minute)
		ctx2, cancel2 := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel2()
		if res := m.send(ctx2, in, fixedMessage()); res.Status != NotificationSent {
			t.Errorf("after the minute: %+v", res)
		}
	})
}

// --- DingTalk

const (
	dingTalkToken  = "a1b2c3d4e5"
	dingTalkSecret = "SECf0a6b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0"
)

// startDingTalk checks the access token and, when secret is set, the
// signature as DingTalk does: timestamp within an hour, sign equal to
// base64(HmacSHA256(secret, timestamp+"\n"+secret)), URL-encoded.
func startDingTalk(t *testing.T, secret string) *robotPeer {
	return startRobot(t, `{"errcode":0,"errmsg":"ok"}`, func(r *http.Request, body []byte) (int, string) {
		q := r.URL.Query()
		if r.URL.Path != "/robot/send" || q.Get("access_token") != dingTalkToken {
			return http.StatusOK, `{"errcode":300001,"errmsg":"token is not exist"}`
		}
		if secret != "" {
			ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Hour {
				return http.StatusOK, `{"errcode":310000,"errmsg":"invalid timestamp"}`
			}
			want := hmacSHA256Base64(secret, q.Get("timestamp")+"\n"+secret)
			// The raw query must carry the signature URL-encoded ("+"
			// would otherwise read as a space).
			if q.Get("sign") != want || !strings.Contains(r.URL.RawQuery, "sign="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(want)) {
				return http.StatusOK, `{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`
			}
		}
		var m dingTalkMessage
		if json.Unmarshal(body, &m) != nil || m.MsgType != "markdown" || m.Markdown.Title == "" || m.Markdown.Text == "" {
			return http.StatusOK, `{"errcode":40035,"errmsg":"缺少参数 json"}`
		}
		return 0, ""
	})
}

func dingTalkConfig(p *robotPeer, edit func(*DingTalkConfig)) DingTalkConfig {
	c := DingTalkConfig{AccessToken: literal(dingTalkToken), APIURL: p.srv.URL + "/robot/send"}
	c.Timezone = "UTC"
	if edit != nil {
		edit(&c)
	}
	rc := ReceiverConfig{Name: "ops", DingTalkConfigs: []DingTalkConfig{c}}
	rc.applyDefaults(&GlobalConfig{})
	return rc.DingTalkConfigs[0]
}

func TestDingTalkSignedDelivery(t *testing.T) {
	p := startDingTalk(t, dingTalkSecret)
	cfg := dingTalkConfig(p, func(c *DingTalkConfig) {
		c.Secret = literal(dingTalkSecret)
		c.AtMobiles = []string{"13800000000"}
	})
	d, err := NewDingTalk(cfg, p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	// Several requests: each is signed anew, whatever its signature's
	// base64 holds.
	for i := range 5 {
		if retry, err := d.Notify(t.Context(), fixedMessage()); err != nil {
			t.Fatalf("request %d: Notify = %v, %v", i, retry, err)
		}
		time.Sleep(2 * time.Millisecond) // a new millisecond timestamp
	}
	var m dingTalkMessage
	if err := json.Unmarshal(p.accepted()[0], &m); err != nil {
		t.Fatal(err)
	}
	if m.Markdown.Title != "[FIRING:2] accounts (account_openings)" || !strings.HasPrefix(m.Markdown.Text, "### [FIRING:2]") ||
		!strings.HasSuffix(m.Markdown.Text, "@13800000000") || len(m.At.AtMobiles) != 1 {
		t.Errorf("message %+v", m)
	}
}

func TestDingTalkWrongSecretIsRejected(t *testing.T) {
	p := startDingTalk(t, dingTalkSecret)
	d, err := NewDingTalk(dingTalkConfig(p, func(c *DingTalkConfig) { c.Secret = literal("SECwrong") }), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := d.Notify(t.Context(), fixedMessage())
	if err == nil || retry || !strings.Contains(err.Error(), "310000") {
		t.Fatalf("Notify = %v, %v; want a permanent 310000", retry, err)
	}
}

func TestDingTalkRateLimitPausesTenMinutes(t *testing.T) {
	p := startDingTalk(t, "")
	p.answer(robotReply{200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, nil})
	d, err := NewDingTalk(dingTalkConfig(p, nil), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := d.Notify(t.Context(), fixedMessage())
	if !retry || retryAfter(err) != 10*time.Minute {
		t.Errorf("Notify = %v, %v (pause %v); want a retry after DingTalk's 10 minutes", retry, err, retryAfter(err))
	}
}

func TestDingTalkURLForm(t *testing.T) {
	p := startDingTalk(t, "")
	cfg := dingTalkConfig(p, func(c *DingTalkConfig) {
		c.AccessToken, c.APIURL = field.Secret{}, ""
		c.URL = literal(p.srv.URL + "/robot/send?access_token=" + dingTalkToken)
	})
	d, err := NewDingTalk(cfg, p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatal(err)
	}
}

// --- Feishu

const feishuSecret = "qRz8LkD2mF9XwT3v"

// startFeishu checks the signature as Feishu does: timestamp (seconds,
// a string in the body) within an hour, sign equal to
// base64(HmacSHA256(key = timestamp+"\n"+secret, message = "")).
func startFeishu(t *testing.T, secret string) *robotPeer {
	return startRobot(t, `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`, func(r *http.Request, body []byte) (int, string) {
		if !strings.HasPrefix(r.URL.Path, "/open-apis/bot/v2/hook/") {
			return http.StatusNotFound, `404 page not found`
		}
		var m struct {
			Timestamp string          `json:"timestamp"`
			Sign      string          `json:"sign"`
			MsgType   string          `json:"msg_type"`
			Card      json.RawMessage `json:"card"`
			Content   json.RawMessage `json:"content"`
		}
		if json.Unmarshal(body, &m) != nil || (m.Card == nil && m.Content == nil) {
			return http.StatusBadRequest, `{"code":9499,"msg":"Bad Request","data":{}}`
		}
		if len(body) > 20*1024 {
			return http.StatusBadRequest, `{"code":9499,"msg":"Bad Request","data":{}}`
		}
		if secret != "" {
			ts, err := strconv.ParseInt(m.Timestamp, 10, 64)
			if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Hour || m.Sign != hmacSHA256Base64(m.Timestamp+"\n"+secret, "") {
				return http.StatusOK, `{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`
			}
		}
		return 0, ""
	})
}

func feishuConfig(p *robotPeer, edit func(*FeishuConfig)) FeishuConfig {
	c := FeishuConfig{URL: literal(p.srv.URL + "/open-apis/bot/v2/hook/5e3d587e-d78e-4a07")}
	c.Timezone = "UTC"
	if edit != nil {
		edit(&c)
	}
	rc := ReceiverConfig{Name: "ops", FeishuConfigs: []FeishuConfig{c}}
	rc.applyDefaults(&GlobalConfig{})
	return rc.FeishuConfigs[0]
}

func TestFeishuSignedCard(t *testing.T) {
	p := startFeishu(t, feishuSecret)
	f, err := NewFeishu(feishuConfig(p, func(c *FeishuConfig) { c.Secret = literal(feishuSecret) }), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := f.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	var m struct {
		MsgType string `json:"msg_type"`
		Card    struct {
			Header struct {
				Title    struct{ Content string } `json:"title"`
				Template string                   `json:"template"`
			} `json:"header"`
			Elements []map[string]any `json:"elements"`
		} `json:"card"`
	}
	if err := json.Unmarshal(p.accepted()[0], &m); err != nil {
		t.Fatal(err)
	}
	if m.MsgType != "interactive" || m.Card.Header.Title.Content != "[FIRING:2] accounts (account_openings)" || m.Card.Header.Template != "red" || len(m.Card.Elements) != 2 {
		t.Errorf("card %+v", m)
	}
}

func TestFeishuText(t *testing.T) {
	p := startFeishu(t, "")
	f, err := NewFeishu(feishuConfig(p, func(c *FeishuConfig) { c.MsgType = FeishuText }), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatal(err)
	}
	var m struct {
		MsgType string                `json:"msg_type"`
		Content struct{ Text string } `json:"content"`
	}
	if err := json.Unmarshal(p.accepted()[0], &m); err != nil || m.MsgType != "text" || !strings.HasPrefix(m.Content.Text, "[FIRING:2]") {
		t.Errorf("message %+v (%v)", m, err)
	}
}

func TestFeishuErrors(t *testing.T) {
	tests := []struct {
		name      string
		secret    string // configured; the peer expects feishuSecret
		reply     *robotReply
		wantRetry bool
		wantPause time.Duration
		wantErr   string
	}{
		{"wrong secret", "nope", nil, false, 0, "19021"},
		{"frequency limited", feishuSecret, &robotReply{200, `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]","data":{}}`, nil}, true, time.Minute, "11232"},
		{"too many request", feishuSecret, &robotReply{400, `{"code":9499,"msg":"too many request","data":{}}`, map[string]string{"X-Ogw-Ratelimit-Reset": "12"}}, true, 12 * time.Second, "9499"},
		{"bad request", feishuSecret, &robotReply{400, `{"code":9499,"msg":"Bad Request","data":{}}`, nil}, false, 0, "Bad Request"},
		{"gateway error page", feishuSecret, &robotReply{503, `<html>Service Unavailable</html>`, nil}, true, 0, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startFeishu(t, feishuSecret)
			if tt.reply != nil {
				p.answer(*tt.reply)
			}
			f, err := NewFeishu(feishuConfig(p, func(c *FeishuConfig) { c.Secret = literal(tt.secret) }), p.srv.Client(), fixedNow, quietLogger)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := f.Notify(t.Context(), fixedMessage())
			if err == nil || retry != tt.wantRetry || !strings.Contains(err.Error(), tt.wantErr) || retryAfter(err) != tt.wantPause {
				t.Fatalf("Notify = %v, %v (pause %v); want retry=%v, %q, pause %v", retry, err, retryAfter(err), tt.wantRetry, tt.wantErr, tt.wantPause)
			}
		})
	}
}

// TestChatLimits renders a long group for every chat channel and checks
// each message against the channel's limit as the vendor counts it.
func TestChatLimits(t *testing.T) {
	msg := manyAlerts(400, func(i int) string { return fmt.Sprintf("账户 %d 余额与总账不符，差额 %d 元", i, i*37) })
	check := func(t *testing.T, name string, n int, size func(i int) (int, bool)) {
		t.Helper()
		if n < 2 || n > DefaultMaxMessages {
			t.Errorf("%s: %d messages, want 2..%d", name, n, DefaultMaxMessages)
		}
		for i := range n {
			if s, ok := size(i); !ok {
				t.Errorf("%s: message %d over the limit (%d)", name, i, s)
			}
		}
	}
	t.Run("wecom", func(t *testing.T) {
		w, err := NewWeCom(weComConfig(startWeCom(t), nil), nil, fixedNow, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		bodies, err := w.Payloads(msg)
		if err != nil {
			t.Fatal(err)
		}
		cs := weComContents(t, bodies)
		check(t, "wecom", len(cs), func(i int) (int, bool) { return len(cs[i]), len(cs[i]) <= 4096 && utf8.ValidString(cs[i]) })
	})
	t.Run("dingtalk", func(t *testing.T) {
		d, err := NewDingTalk(dingTalkConfig(startDingTalk(t, ""), nil), nil, fixedNow, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		bodies, err := d.Payloads(msg)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "dingtalk", len(bodies), func(i int) (int, bool) {
			var m dingTalkMessage
			json.Unmarshal(bodies[i], &m) //nolint:errcheck // checked by the sizes
			return len(m.Markdown.Text), len(m.Markdown.Text) <= 20000 && len(m.Markdown.Text) > 0
		})
	})
	t.Run("feishu", func(t *testing.T) {
		p := startFeishu(t, feishuSecret)
		f, err := NewFeishu(feishuConfig(p, func(c *FeishuConfig) { c.Secret = literal(feishuSecret) }), p.srv.Client(), fixedNow, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Notify(t.Context(), msg); err != nil { // the peer refuses bodies over 20 KB
			t.Fatal(err)
		}
		bodies := p.accepted()
		check(t, "feishu", len(bodies), func(i int) (int, bool) { return len(bodies[i]), len(bodies[i]) <= 20_000 })
	})
	t.Run("slack", func(t *testing.T) {
		s, err := NewSlack(slackWebhookConfig("http://slack.test/hook", nil), nil, fixedNow, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := s.parts(msg)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "slack", len(parts), func(i int) (int, bool) { return slackSize(t, parts[i]) })
	})
}

var fixedNow = func() time.Time { return time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) }
