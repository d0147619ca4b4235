package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// Feishu / Lark custom bot (自定义机器人).
const (
	// feishuMaxBytes caps a request body: Feishu refuses bodies over
	// 20 KB.
	feishuMaxBytes = 20_000
	// Codes of a bot over its rate limit (100 a minute, 5 a second):
	// 11232 "frequency limited", and 9499 when its message says "too many
	// request" (9499 is also the code of a malformed body).
	feishuFrequencyLimited = 11232
	feishuBadRequest       = 9499
	feishuRateWindow       = time.Minute
)

// Message types of a Feishu bot.
const (
	FeishuInteractive = "interactive" // a card: coloured header, lark_md text, a link button
	FeishuText        = "text"        // plain text
)

// Default templates.
const (
	feishuTitleTmpl = `{{ template "feishu.default.title" . }}`
	feishuTextTmpl  = `{{ template "feishu.default.text" . }}`
)

// FeishuConfig sends cards (or text) to a Feishu or Lark custom bot. With
// secret, every request is signed (签名校验).
type FeishuConfig struct {
	URL        field.Secret `yaml:"url"`                // https://open.feishu.cn/open-apis/bot/v2/hook/…
	Secret     field.Secret `yaml:"secret,omitempty"`   // the bot's signing secret
	MsgType    string       `yaml:"msg_type,omitempty"` // interactive (default) or text
	ChatConfig `yaml:",inline"`
}

func (c FeishuConfig) validate() error {
	var errs field.List
	errs.Add("url", checkSecretURL(c.URL, true))
	switch c.MsgType {
	case "", FeishuInteractive, FeishuText:
	default:
		errs.Addf("msg_type", "unknown message type %q (use interactive or text)", c.MsgType)
	}
	errs.Add("", c.ChatConfig.validate(feishuTitleTmpl, feishuTextTmpl))
	return errs.Err()
}

// Feishu posts cards or text to a Feishu/Lark custom bot.
type Feishu struct {
	url       string // a secret: never logged or put in errors
	secret    string
	msgType   string
	client    *http.Client
	timeout   time.Duration
	userAgent string
	render    *chatRenderer
	// clock signs requests: Feishu refuses a timestamp more than an hour
	// from its own time, so it is the real clock.
	clock func() time.Time
}

// NewFeishu returns the Feishu integration of cfg (defaults applied).
func NewFeishu(cfg FeishuConfig, client *http.Client, now func() time.Time, logger *slog.Logger) (*Feishu, error) {
	u, err := resolved(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if err := checkHTTPURL(u); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	secret, err := resolved(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	tmpl, err := cfg.templates(feishuTitleTmpl, feishuTextTmpl, now, logger)
	if err != nil {
		return nil, err
	}
	f := &Feishu{
		url: u, secret: secret, msgType: cfg.MsgType,
		client: orDefaultClient(client), timeout: orDefault(cfg.Timeout.Std(), DefaultWebhookTimeout),
		userAgent: userAgent(), clock: time.Now,
	}
	if f.msgType == "" {
		f.msgType = FeishuInteractive
	}
	// The limit is on the whole JSON body, so measure that: JSON escapes
	// make it longer than the text.
	f.render = cfg.renderer(tmpl,
		func(p chatPart) bool { return f.size(p) <= feishuMaxBytes },
		func(p chatPart) string {
			// Cut by the bytes over, then again until it fits (escapes
			// make the JSON grow faster than the text).
			for n := len(p.Text); n > 0 && f.size(p) > feishuMaxBytes; {
				n -= f.size(p) - feishuMaxBytes + len("…")
				p.Text = truncateBytes(p.Text, max(n, 0))
			}
			return p.Text
		})
	return f, nil
}

// size is the length of the body of a message, signature fields included.
func (f *Feishu) size(p chatPart) int {
	b, err := json.Marshal(f.message(p.Title, p.Text, p.Data.Status, p.Data.ExternalURL))
	if err != nil {
		return feishuMaxBytes + 1
	}
	return len(b) + len(`,"timestamp":"1700000000","sign":"`) + 44 + 1
}

// feishuMessage is a bot message; Card or Content is set by msg_type.
type feishuMessage struct {
	Timestamp string         `json:"timestamp,omitempty"`
	Sign      string         `json:"sign,omitempty"`
	MsgType   string         `json:"msg_type"`
	Content   *feishuContent `json:"content,omitempty"`
	Card      *feishuCard    `json:"card,omitempty"`
}

type feishuContent struct {
	Text string `json:"text"`
}

type feishuCard struct {
	Config   map[string]bool `json:"config"`
	Header   feishuHeader    `json:"header"`
	Elements []any           `json:"elements"`
}

type feishuHeader struct {
	Title    feishuText `json:"title"`
	Template string     `json:"template"` // the header's colour
}

type feishuText struct {
	Tag     string `json:"tag"` // plain_text or lark_md
	Content string `json:"content"`
}

type feishuDiv struct {
	Tag  string     `json:"tag"` // div
	Text feishuText `json:"text"`
}

type feishuAction struct {
	Tag     string         `json:"tag"` // action
	Actions []feishuButton `json:"actions"`
}

type feishuButton struct {
	Tag  string     `json:"tag"` // button
	Text feishuText `json:"text"`
	URL  string     `json:"url"`
	Type string     `json:"type"`
}

// message builds the message of one part: a card whose header is red
// while alerts fire and green once resolved, or plain text.
func (f *Feishu) message(title, text, status, link string) *feishuMessage {
	if f.msgType == FeishuText {
		body := text
		if title != "" {
			body = title + "\n\n" + text
		}
		return &feishuMessage{MsgType: FeishuText, Content: &feishuContent{Text: body}}
	}
	colour := "red"
	if status == StatusResolved {
		colour = "green"
	}
	card := &feishuCard{
		Config:   map[string]bool{"wide_screen_mode": true},
		Header:   feishuHeader{Title: feishuText{Tag: "plain_text", Content: title}, Template: colour},
		Elements: []any{feishuDiv{Tag: "div", Text: feishuText{Tag: "lark_md", Content: text}}},
	}
	if link != "" {
		card.Elements = append(card.Elements, feishuAction{Tag: "action", Actions: []feishuButton{{
			Tag: "button", Text: feishuText{Tag: "plain_text", Content: "Open Seismo"}, URL: link, Type: "default",
		}}})
	}
	return &feishuMessage{MsgType: FeishuInteractive, Card: card}
}

// feishuSign returns Feishu's request signature for a timestamp in
// seconds: HmacSHA256 keyed by "timestamp\nsecret" over an empty message,
// base64-encoded.
func feishuSign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestamp, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Messages returns the messages Notify sends for m, one per part,
// unsigned.
func (f *Feishu) Messages(m *Message) ([]*feishuMessage, error) {
	parts, err := f.render.parts(m)
	if err != nil {
		return nil, err
	}
	out := make([]*feishuMessage, len(parts))
	for i, p := range parts {
		out[i] = f.message(p.Title, p.Text, p.Data.Status, m.ExternalURL)
	}
	return out, nil
}

// Notify sends m, split into several messages if it is too long.
func (f *Feishu) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	msgs, err := f.Messages(m)
	if err != nil {
		return false, fmt.Errorf("feishu: render: %w", err)
	}
	return sendParts(ctx, len(msgs), func(ctx context.Context, i int) (bool, error) {
		msg := *msgs[i]
		if f.secret != "" {
			ts := f.clock().Unix()
			msg.Timestamp, msg.Sign = strconv.FormatInt(ts, 10), feishuSign(ts, f.secret)
		}
		body, err := json.Marshal(&msg)
		if err != nil {
			return false, fmt.Errorf("feishu: encode: %w", err)
		}
		reply, err := postHTTP(ctx, f.client, f.timeout, f.url, "application/json; charset=utf-8", f.userAgent, body)
		if err != nil {
			return true, fmt.Errorf("feishu: %w", err)
		}
		// Older bots answer {"StatusCode":0,...} without a code.
		codeKey := "code"
		if !strings.Contains(string(reply.body), `"code"`) && strings.Contains(string(reply.body), `"StatusCode"`) {
			codeKey = "StatusCode"
		}
		retry, err := robotResult(reply, codeKey, "msg", func(code int, msg string) robotVerdict {
			switch {
			case code == feishuFrequencyLimited,
				code == feishuBadRequest && strings.Contains(strings.ToLower(msg), "too many"):
				// The gateway may say when the window resets.
				pause := feishuRateWindow
				if s, err := strconv.Atoi(reply.header.Get("X-Ogw-Ratelimit-Reset")); err == nil && s > 0 {
					pause = time.Duration(s) * time.Second
				}
				return robotVerdict{rateLimited: true, pause: pause}
			}
			return robotVerdict{}
		})
		if err != nil {
			return retry, fmt.Errorf("feishu: %w", err)
		}
		return false, nil
	})
}
