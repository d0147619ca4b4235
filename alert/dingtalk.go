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
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// DingTalk (钉钉) custom group robot.
const (
	// DefaultDingTalkAPIURL is the robot endpoint; the access token goes
	// in its query.
	DefaultDingTalkAPIURL = "https://oapi.dingtalk.com/robot/send"
	// dingTalkMaxBytes caps a markdown message's text, in UTF-8 bytes.
	dingTalkMaxBytes = 20000
	// dingTalkRateLimited is the errcode of a robot over its 20 messages
	// a minute ("send too fast"); DingTalk then refuses the robot's
	// messages for ten minutes, the pause that follows.
	dingTalkRateLimited = 130101
	dingTalkRatePause   = 10 * time.Minute
)

// Default templates.
const (
	dingTalkTitle = `{{ template "dingtalk.default.title" . }}`
	dingTalkText  = `{{ template "dingtalk.default.text" . }}`
)

// DingTalkConfig sends markdown messages to a DingTalk custom robot. Give
// the robot's webhook URL, or its access token (and api_url for a private
// deployment). With secret, every request is signed (加签).
type DingTalkConfig struct {
	URL         field.Secret `yaml:"url,omitempty"` // https://oapi.dingtalk.com/robot/send?access_token=…
	AccessToken field.Secret `yaml:"access_token,omitempty"`
	APIURL      string       `yaml:"api_url,omitempty"` // with access_token; default DefaultDingTalkAPIURL
	// Secret is the robot's signing secret ("SEC…"), when its security
	// setting is 加签.
	Secret field.Secret `yaml:"secret,omitempty"`
	// AtMobiles are the members to @ (their phone numbers), AtAll @s the
	// whole group.
	AtMobiles  []string `yaml:"at_mobiles,omitempty"`
	AtAll      bool     `yaml:"at_all,omitempty"`
	ChatConfig `yaml:",inline"`
}

func (c DingTalkConfig) validate() error {
	var errs field.List
	dingTalkEndpoint.validate(&errs, c.URL, c.AccessToken, c.APIURL)
	for i, m := range c.AtMobiles {
		if strings.TrimSpace(m) == "" || strings.ContainsAny(m, " \t\n") {
			errs.Addf(fmt.Sprintf("at_mobiles[%d]", i), "not a phone number: %q", m)
		}
	}
	errs.Add("", c.ChatConfig.validate(dingTalkTitle, dingTalkText))
	return errs.Err()
}

// dingTalkEndpoint is how a DingTalk robot's webhook is given: url, or
// access_token.
var dingTalkEndpoint = robotEndpoint{vendor: "DingTalk", keyField: "access_token", defaultAPI: DefaultDingTalkAPIURL}

// DingTalk posts markdown to a DingTalk custom robot.
type DingTalk struct {
	url       *url.URL // holds the token: never logged or put in errors
	secret    string
	atMobiles []string
	atAll     bool
	client    *http.Client
	timeout   time.Duration
	userAgent string
	render    *chatRenderer
	// clock signs requests; DingTalk refuses a timestamp more than an
	// hour from its own time, so it is the real clock, not Options.Now.
	clock func() time.Time
}

// NewDingTalk returns the DingTalk integration of cfg (defaults applied).
func NewDingTalk(cfg DingTalkConfig, client *http.Client, now func() time.Time, logger *slog.Logger) (*DingTalk, error) {
	raw, err := dingTalkEndpoint.resolve(cfg.URL, cfg.AccessToken, cfg.APIURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(raw) // checked above
	secret, err := resolved(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	tmpl, err := cfg.templates(dingTalkTitle, dingTalkText, now, logger)
	if err != nil {
		return nil, err
	}
	d := &DingTalk{
		url: u, secret: secret, atMobiles: cfg.AtMobiles, atAll: cfg.AtAll,
		client: orDefaultClient(client), timeout: orDefault(cfg.Timeout.Std(), DefaultWebhookTimeout),
		userAgent: userAgent(), clock: time.Now,
	}
	d.render = cfg.renderer(tmpl,
		func(p chatPart) bool { return len(d.text(p.Title, p.Text)) <= dingTalkMaxBytes },
		func(p chatPart) string { return truncateBytes(p.Text, dingTalkMaxBytes-len(d.text(p.Title, ""))) })
	return d, nil
}

// text is the markdown of a message: the title as a heading, the text,
// and the @ mentions DingTalk wants written in the text.
func (d *DingTalk) text(title, text string) string {
	var b strings.Builder
	if title != "" {
		b.WriteString("### ")
		b.WriteString(title)
		b.WriteString("\n\n")
	}
	b.WriteString(text)
	if len(d.atMobiles) > 0 {
		b.WriteString("\n\n")
		for i, m := range d.atMobiles {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("@" + m)
		}
	}
	return b.String()
}

// dingTalkMessage is the robot's markdown message.
type dingTalkMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At struct {
		AtMobiles []string `json:"atMobiles,omitempty"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

// Payloads returns the request bodies Notify sends for m, one per part.
func (d *DingTalk) Payloads(m *Message) ([][]byte, error) {
	parts, err := d.render.parts(m)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		msg := dingTalkMessage{MsgType: "markdown"}
		msg.Markdown.Title = p.Title
		msg.Markdown.Text = d.text(p.Title, p.Text)
		msg.At.AtMobiles = d.atMobiles
		msg.At.IsAtAll = d.atAll
		if out[i], err = json.Marshal(msg); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dingTalkSign returns DingTalk's request signature for a timestamp in
// milliseconds: HmacSHA256 keyed by the secret over "timestamp\nsecret",
// base64-encoded (the caller URL-encodes it as a query value).
func dingTalkSign(timestampMillis int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// requestURL returns the URL of one request, signed when a secret is set.
func (d *DingTalk) requestURL() string {
	if d.secret == "" {
		return d.url.String()
	}
	u := *d.url
	q := u.Query()
	ts := d.clock().UnixMilli()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", dingTalkSign(ts, d.secret))
	u.RawQuery = q.Encode()
	return u.String()
}

// Notify sends m, split into several messages if it is too long.
func (d *DingTalk) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	bodies, err := d.Payloads(m)
	if err != nil {
		return false, fmt.Errorf("dingtalk: render: %w", err)
	}
	return sendParts(ctx, len(bodies), func(ctx context.Context, i int) (bool, error) {
		retry, err := postErrcodeRobot(ctx, d.client, d.timeout, d.requestURL(), "application/json; charset=utf-8", d.userAgent, bodies[i], dingTalkRateLimited, dingTalkRatePause)
		if err != nil {
			return retry, fmt.Errorf("dingtalk: %w", err)
		}
		return false, nil
	})
}
