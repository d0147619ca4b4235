package alert

import (
	"context"
	"encoding/json"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

const slackToken = "xoxb-1111-2222-abcdefghijklmnop"

// slackPeer speaks Slack's Web API (chat.postMessage, the external file
// upload flow files.getUploadURLExternal → upload → files.completeUploadExternal)
// and an incoming webhook, as slack.com answers them.
type slackPeer struct {
	srv *httptest.Server

	mu       sync.Mutex
	script   []robotReply // answers to the next chat.postMessage or webhook requests
	posts    []url2form   // accepted chat.postMessage requests
	hooks    []slack.WebhookMessage
	uploads  map[string][]byte // file ID → bytes
	shared   []map[string]string
	requests int
}

type url2form map[string]string

func startSlack(t *testing.T) *slackPeer {
	t.Helper()
	p := &slackPeer{uploads: map[string][]byte{}}
	mux := http.NewServeMux()
	auth := func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer "+slackToken || r.FormValue("token") == slackToken
	}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(v) //nolint:errcheck // the client sees a short body
	}
	scripted := func(w http.ResponseWriter) bool {
		p.mu.Lock()
		p.requests++
		var rep *robotReply
		if len(p.script) > 0 {
			rep = &p.script[0]
			p.script = p.script[1:]
		}
		p.mu.Unlock()
		if rep == nil {
			return false
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
		return true
	}
	mux.HandleFunc("POST /api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		if scripted(w) {
			return
		}
		if err := r.ParseForm(); err != nil || !auth(r) {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		var blocks []map[string]any
		if r.PostForm.Get("channel") != "C0ALERTS" {
			writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		if err := json.Unmarshal([]byte(r.PostForm.Get("blocks")), &blocks); err != nil || len(blocks) == 0 || len(blocks) > slackMaxBlocks {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_blocks"})
			return
		}
		form := url2form{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		p.mu.Lock()
		p.posts = append(p.posts, form)
		ts := "1700000000.00010" + string(rune('0'+len(p.posts)))
		p.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "channel": "C0ALERTS", "ts": ts, "message": map[string]any{"text": form["text"]}})
	})
	mux.HandleFunc("POST /api/files.getUploadURLExternal", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !auth(r) {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		if r.PostForm.Get("filename") == "" || r.PostForm.Get("length") == "" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		p.mu.Lock()
		id := "F0" + string(rune('A'+len(p.uploads)))
		p.uploads[id] = nil
		p.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "upload_url": p.srv.URL + "/upload/" + id, "file_id": id})
	})
	mux.HandleFunc("POST /upload/{id}", func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		p.mu.Lock()
		p.uploads[r.PathValue("id")] = b
		p.mu.Unlock()
		io.WriteString(w, "OK - "+r.PathValue("id"))
	})
	mux.HandleFunc("POST /api/files.completeUploadExternal", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !auth(r) {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		var files []map[string]string
		if err := json.Unmarshal([]byte(r.PostForm.Get("files")), &files); err != nil || len(files) != 1 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		p.mu.Lock()
		_, known := p.uploads[files[0]["id"]]
		p.shared = append(p.shared, map[string]string{"id": files[0]["id"], "channel": r.PostForm.Get("channel_id"), "thread_ts": r.PostForm.Get("thread_ts")})
		p.mu.Unlock()
		if !known {
			writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "files": files})
	})
	mux.HandleFunc("POST /services/T000/B000/XXXX", func(w http.ResponseWriter, r *http.Request) {
		if scripted(w) {
			return
		}
		var m slack.WebhookMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || (m.Text == "" && m.Blocks == nil) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "invalid_payload")
			return
		}
		p.mu.Lock()
		p.hooks = append(p.hooks, m)
		p.mu.Unlock()
		io.WriteString(w, "ok")
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *slackPeer) answer(replies ...robotReply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = append(p.script, replies...)
}

func (p *slackPeer) webhookURL() string { return p.srv.URL + "/services/T000/B000/XXXX" }

func slackWebhookConfig(url string, edit func(*SlackConfig)) SlackConfig {
	c := SlackConfig{APIURL: literal(url)}
	c.Timezone = "UTC"
	if edit != nil {
		edit(&c)
	}
	rc := ReceiverConfig{Name: "ops", SlackConfigs: []SlackConfig{c}}
	rc.applyDefaults(&GlobalConfig{})
	return rc.SlackConfigs[0]
}

func slackTokenConfig(p *slackPeer, edit func(*SlackConfig)) SlackConfig {
	return slackWebhookConfig("", func(c *SlackConfig) {
		c.AppToken = literal(slackToken)
		c.AppURL = p.srv.URL + "/api/chat.postMessage" // Alertmanager's form
		c.Channel = "C0ALERTS"
		if edit != nil {
			edit(c)
		}
	})
}

// slackSize checks a message against Slack's limits: at most 50 blocks,
// 3000 characters a section, 40000 characters in all.
func slackSize(t *testing.T, p slackPart) (int, bool) {
	t.Helper()
	b, err := json.Marshal(p.blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(b, &blocks); err != nil {
		t.Fatal(err)
	}
	total, ok := 0, len(blocks) <= slackMaxBlocks
	for _, bl := range blocks {
		if bl.Text == nil {
			continue
		}
		n := utf8.RuneCountInString(bl.Text.Text)
		total += n
		if bl.Type == "section" && n > slackMaxSectionText || bl.Type == "header" && n > slackMaxHeader || !utf8.ValidString(bl.Text.Text) {
			ok = false
		}
	}
	return total, ok && total <= slackMaxText
}

func TestSlackWebhook(t *testing.T) {
	p := startSlack(t)
	s, err := NewSlack(slackWebhookConfig(p.webhookURL(), func(c *SlackConfig) { c.Username = "seismo" }), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := s.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if len(p.hooks) != 1 {
		t.Fatalf("%d webhook messages", len(p.hooks))
	}
	h := p.hooks[0]
	if h.Text != "[FIRING:2] accounts (account_openings)" || h.Username != "seismo" || h.Blocks == nil {
		t.Fatalf("message %+v", h)
	}
	raw, _ := json.Marshal(h.Blocks)
	for _, want := range []string{`"type":"header"`, `"type":"section"`, `*account_openings*`, `"type":"actions"`, `"url":"http://seismo.example/"`, `*team*\naccounts`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("blocks lack %s:\n%s", want, raw)
		}
	}
}

func TestSlackBotTokenPostsAndUploadsCharts(t *testing.T) {
	p := startSlack(t)
	s, err := NewSlack(slackTokenConfig(p, nil), p.srv.Client(), fixedNow, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	msg := fixedMessage()
	chart := testPNG(t, color.RGBA{0, 90, 200, 255})
	msg.charts = func(context.Context, *Alert) ([]byte, error) { return chart, nil }
	if retry, err := s.Notify(t.Context(), msg); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if len(p.posts) != 1 || p.posts[0]["text"] != "[FIRING:2] accounts (account_openings)" {
		t.Fatalf("posts %v", p.posts)
	}
	// One chart per firing alert, shared into the message's thread.
	if len(p.shared) != 2 {
		t.Fatalf("%d files shared, want 2 (the firing alerts)", len(p.shared))
	}
	for _, sh := range p.shared {
		if sh["channel"] != "C0ALERTS" || sh["thread_ts"] != "1700000000.000101" {
			t.Errorf("shared %v, want in the thread of the message", sh)
		}
		if got := p.uploads[sh["id"]]; string(got) != string(chart) {
			t.Errorf("file %s has %d bytes, want the chart's %d", sh["id"], len(got), len(chart))
		}
	}
}

func TestSlackErrors(t *testing.T) {
	tests := []struct {
		name      string
		token     bool
		reply     robotReply
		wantRetry bool
		wantPause time.Duration
	}{
		{"api 429", true, robotReply{429, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "30"}}, true, 30 * time.Second},
		{"api 503", true, robotReply{503, `<html>upstream</html>`, nil}, true, 0},
		{"api invalid_auth", true, robotReply{200, `{"ok":false,"error":"invalid_auth"}`, nil}, false, 0},
		{"api internal_error", true, robotReply{200, `{"ok":false,"error":"internal_error"}`, nil}, true, 0},
		{"api garbage", true, robotReply{200, `<html>captive portal</html>`, nil}, true, 0},
		{"webhook 429", false, robotReply{429, `rate_limited`, map[string]string{"Retry-After": "4"}}, true, 4 * time.Second},
		{"webhook 500", false, robotReply{500, `internal_error`, nil}, true, 0},
		{"webhook 404 no_service", false, robotReply{404, `no_service`, nil}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startSlack(t)
			p.answer(tt.reply)
			cfg := slackWebhookConfig(p.webhookURL(), nil)
			if tt.token {
				cfg = slackTokenConfig(p, nil)
			}
			s, err := NewSlack(cfg, p.srv.Client(), fixedNow, quietLogger)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := s.Notify(t.Context(), fixedMessage())
			if err == nil || retry != tt.wantRetry || retryAfter(err) != tt.wantPause {
				t.Fatalf("Notify = %v, %v (pause %v); want retry=%v, pause %v", retry, err, retryAfter(err), tt.wantRetry, tt.wantPause)
			}
			if strings.Contains(err.Error(), "XXXX") || strings.Contains(err.Error(), slackToken) {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// TestSlackRetryAfterInDelivery: Slack's 429 delays the next attempt by
// its Retry-After, not the backoff.
func TestSlackRetryAfterInDelivery(t *testing.T) {
	p := startSlack(t)
	p.answer(robotReply{429, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "3"}})
	synctest.Test(t, func(t *testing.T) {
		m := deliveryManager(t, ReceiverConfig{Name: "ops", SlackConfigs: []SlackConfig{slackTokenConfig(p, nil)}})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		done := make(chan sendResult)
		go func() { done <- m.send(ctx, m.receivers["ops"][0], fixedMessage()) }()
		step(2 * time.Second)
		p.mu.Lock()
		n := p.requests
		p.mu.Unlock()
		if n != 1 {
			t.Fatalf("%d requests before Slack's Retry-After of 3s, want 1", n)
		}
		step(time.Second)
		if res := <-done; res.Status != NotificationSent || res.Attempts != 2 {
			t.Errorf("send = %+v", res)
		}
	})
}

func TestSlackAppURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                       DefaultSlackAppURL,
		"https://slack.com/api/chat.postMessage": "https://slack.com/api/",
		"https://slack.example/api":              "https://slack.example/api/",
	} {
		if got := slackAPIBase(in); got != want {
			t.Errorf("slackAPIBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitSlackText(t *testing.T) {
	text := strings.Repeat("行一二三四五六七八九\n", 1000) // 11000 characters
	chunks := splitSlackText(text, slackMaxSectionText)
	if strings.Join(chunks, "\n") != text {
		t.Error("chunks do not join back to the text")
	}
	for i, c := range chunks {
		if n := utf8.RuneCountInString(c); n > slackMaxSectionText || !utf8.ValidString(c) {
			t.Errorf("chunk %d: %d characters", i, n)
		}
	}
	// A line longer than a section is cut inside, on a character.
	long := strings.Repeat("长", 7000)
	chunks = splitSlackText(long, slackMaxSectionText)
	if len(chunks) != 3 || strings.Join(chunks, "") != long {
		t.Errorf("%d chunks of a 7000-character line", len(chunks))
	}
}
