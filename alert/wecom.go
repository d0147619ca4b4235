package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
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
	// minute.
	weComRateLimited = 45009
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
	weComEndpoint.validate(&errs, c.URL, c.Key, c.APIURL)
	errs.Add("", c.ChatConfig.validate(weComTitle, weComText))
	return errs.Err()
}

// weComEndpoint is how a WeCom robot's webhook is given: url, or key.
var weComEndpoint = robotEndpoint{vendor: "WeCom", keyField: "key", defaultAPI: DefaultWeComAPIURL}

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
	u, err := weComEndpoint.resolve(cfg.URL, cfg.Key, cfg.APIURL)
	if err != nil {
		return nil, err
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
		retry, err := postErrcodeRobot(ctx, w.client, w.timeout, w.url, "application/json", w.userAgent, bodies[i], weComRateLimited, weComRateWindow)
		if err != nil {
			return retry, fmt.Errorf("wecom: %w", err)
		}
		return false, nil
	})
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
