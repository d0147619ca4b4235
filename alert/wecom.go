package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// WeCom (企业微信) group robot.
const (
	// DefaultWeComAPIURL is the robot endpoint; the key goes in its query.
	DefaultWeComAPIURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
	// weComMaxBytes is the limit of a markdown message's content, in
	// UTF-8 bytes.
	weComMaxBytes = 4096
	// weComRateLimited is the errcode of a robot over its 20 messages a
	// minute; weComBusy asks to try again.
	weComRateLimited = 45009
	weComBusy        = -1
	// weComRateWindow is the window of the robot's rate limit, the pause
	// after weComRateLimited.
	weComRateWindow = time.Minute
)

// WeComConfig sends markdown messages to a WeCom group robot. Give the
// robot's webhook URL, or its key (and api_url for a private deployment).
type WeComConfig struct {
	URL        field.Secret `yaml:"url,omitempty"` // https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
	Key        field.Secret `yaml:"key,omitempty"`
	APIURL     string       `yaml:"api_url,omitempty"` // with key; default DefaultWeComAPIURL
	ChatConfig `yaml:",inline"`
}

func (c WeComConfig) validate() error {
	var errs field.List
	switch {
	case c.URL.IsZero() && c.Key.IsZero():
		errs.Addf("url", "a WeCom robot needs its webhook url or its key")
	case !c.URL.IsZero() && !c.Key.IsZero():
		errs.Addf("key", "give either url or key, not both")
	}
	errs.Add("url", checkSecretURL(c.URL, false))
	if c.APIURL != "" {
		errs.Add("api_url", checkHTTPURL(c.APIURL))
	}
	errs.Add("", c.ChatConfig.validate(weComTitle, weComText))
	return errs.Err()
}

// WeCom posts markdown to a WeCom group robot.
type WeCom struct {
	url       string // holds the key: never logged or put in errors
	client    *http.Client
	timeout   time.Duration
	userAgent string
	render    *chatRenderer
}

// NewWeCom returns the WeCom integration of cfg (defaults applied).
// client nil means a default client; now nil means time.Now.
func NewWeCom(cfg WeComConfig, client *http.Client, now func() time.Time, logger *slog.Logger) (*WeCom, error) {
	u, err := resolved(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if u == "" {
		key, err := resolved(cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		if key == "" {
			return nil, errors.New("a WeCom robot needs its webhook url or its key")
		}
		base := cfg.APIURL
		if base == "" {
			base = DefaultWeComAPIURL
		}
		u = base + "?key=" + url.QueryEscape(key)
	}
	if err := checkHTTPURL(u); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	tmpl, err := cfg.templates(weComTitle, weComText, now, logger)
	if err != nil {
		return nil, err
	}
	w := &WeCom{url: u, client: orDefaultClient(client), timeout: orDefault(cfg.Timeout.Std(), DefaultWebhookTimeout), userAgent: userAgent()}
	// The markdown has no title of its own: it starts with the title as a
	// heading, which counts against the limit.
	w.render = cfg.renderer(tmpl,
		func(p chatPart) bool { return len(weComContent(p.Title, p.Text)) <= weComMaxBytes },
		func(p chatPart) string {
			return truncateBytes(p.Text, weComMaxBytes-len(weComContent(p.Title, "")))
		})
	return w, nil
}

// Default templates.
const (
	weComTitle = `{{ template "wecom.default.title" . }}`
	weComText  = `{{ template "wecom.default.text" . }}`
)

// weComContent is the markdown of a message: the title as a heading, then
// the text.
func weComContent(title, text string) string {
	if title == "" {
		return text
	}
	return "## " + title + "\n" + text
}

// weComMessage is the robot's markdown message.
type weComMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// Payloads returns the request bodies Notify sends for m, one per part.
func (w *WeCom) Payloads(m *Message) ([][]byte, error) {
	parts, err := w.render.parts(m)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		msg := weComMessage{MsgType: "markdown"}
		msg.Markdown.Content = weComContent(p.Title, p.Text)
		if out[i], err = json.Marshal(msg); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Notify sends m, split into several messages if it is too long.
func (w *WeCom) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	bodies, err := w.Payloads(m)
	if err != nil {
		return false, fmt.Errorf("wecom: render: %w", err)
	}
	return sendParts(ctx, len(bodies), func(ctx context.Context, i int) (bool, error) {
		reply, err := postHTTP(ctx, w.client, w.timeout, w.url, "application/json", w.userAgent, bodies[i])
		if err != nil {
			return true, fmt.Errorf("wecom: %w", err)
		}
		retry, err := robotResult(reply, "errcode", "errmsg", func(code int, _ string) robotVerdict {
			switch code {
			case weComRateLimited:
				return robotVerdict{rateLimited: true, pause: weComRateWindow}
			case weComBusy:
				return robotVerdict{retry: true}
			}
			return robotVerdict{}
		})
		if err != nil {
			return retry, fmt.Errorf("wecom: %w", err)
		}
		return false, nil
	})
}

// robotVerdict is what a robot's error code means for delivery.
type robotVerdict struct {
	retry       bool          // worth trying again
	rateLimited bool          // the robot's rate limit: retry after pause
	pause       time.Duration // how long the robot's limit lasts
}

// robotResult reads a chat robot's JSON answer {codeKey: n, msgKey: "…"}:
// nil for code 0. A non-zero code is judged by verdict; an answer that is
// not that JSON is ErrBadResponse, or the HTTP status's error.
func robotResult(reply *httpReply, codeKey, msgKey string, verdict func(code int, msg string) robotVerdict) (retry bool, err error) {
	var body map[string]json.RawMessage
	var code int
	var msg string
	if json.Unmarshal(reply.body, &body) != nil || json.Unmarshal(body[codeKey], &code) != nil {
		if retry, err := reply.statusError(); err != nil {
			return retry, err
		}
		return true, fmt.Errorf("%w: status %d, body %q", ErrBadResponse, reply.status, reply.quote())
	}
	_ = json.Unmarshal(body[msgKey], &msg) // the message is for people; absent is fine
	if code == 0 {
		if reply.status/100 != 2 {
			return reply.statusError()
		}
		return false, nil
	}
	err = fmt.Errorf("error %d: %s", code, truncateRunes(msg, maxErrorBody))
	v := verdict(code, msg)
	switch {
	case v.rateLimited:
		// The vendor's documented window, or the HTTP Retry-After if it
		// says more.
		pause := max(v.pause, parseRetryAfter(reply.header.Get("Retry-After"), time.Now()))
		return true, withRetryAfter(fmt.Errorf("%w: %w", ErrRateLimited, err), pause)
	case v.retry, reply.status/100 == 5:
		return true, fmt.Errorf("%w: %w", errServerError, err)
	}
	return false, err
}

func orDefaultClient(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{}
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
