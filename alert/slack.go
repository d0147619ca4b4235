package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/seismo-dev/seismo/config/field"
)

// Slack's limits on a message (Block Kit reference).
const (
	DefaultSlackAppURL   = "https://slack.com/api/"
	slackMaxText         = 40_000 // characters of text in a message
	slackMaxBlocks       = 50
	slackMaxSectionText  = 3000 // characters of a section's text
	slackMaxHeader       = 150  // characters of a header's text
	slackMaxFields       = 10   // fields of a section
	slackMaxFieldText    = 2000 // characters of a field
	slackMaxChartUploads = 5    // charts uploaded with one message
)

// Default templates.
const (
	slackTitle = `{{ template "slack.default.title" . }}`
	slackText  = `{{ template "slack.default.text" . }}`
)

// SlackConfig posts Block Kit messages to Slack, through an incoming
// webhook (api_url, as in Alertmanager) or with a bot token (app_token)
// and chat.postMessage, which can also upload the alerts' charts.
type SlackConfig struct {
	// APIURL is an incoming webhook URL (https://hooks.slack.com/…);
	// default global.slack_api_url when app_token is not set either.
	APIURL field.Secret `yaml:"api_url,omitempty"`
	// APIURLFile is Alertmanager's form of api_url: {file: path}.
	APIURLFile string `yaml:"api_url_file,omitempty"`
	// AppToken is a bot token (xoxb-…) with chat:write, and files:write
	// for the charts. It needs Channel.
	AppToken     field.Secret `yaml:"app_token,omitempty"`
	AppTokenFile string       `yaml:"app_token_file,omitempty"`
	// AppURL is the Web API's base URL; default https://slack.com/api/.
	// Alertmanager's form ending in /chat.postMessage is accepted.
	AppURL string `yaml:"app_url,omitempty"`
	// Channel is a channel ID or #name; with a webhook it overrides the
	// webhook's own channel where Slack allows it.
	Channel   string `yaml:"channel,omitempty"`
	Username  string `yaml:"username,omitempty"`
	IconEmoji string `yaml:"icon_emoji,omitempty"`
	IconURL   string `yaml:"icon_url,omitempty"`
	// Charts uploads a chart of each firing alert (at most five) into the
	// message's thread, when the engine draws charts and a token is set.
	// Default true.
	Charts     *bool `yaml:"charts,omitempty"`
	ChatConfig `yaml:",inline"`

	// Alertmanager's settings of the legacy attachment it posts. Seismo
	// posts Block Kit (title, text, common labels as fields, a button),
	// so these are accepted, so that a pasted slack_config loads, and
	// ignored; NewManager logs each one.
	Color       amOnly `yaml:"color,omitempty"`
	Pretext     amOnly `yaml:"pretext,omitempty"`
	TitleLink   amOnly `yaml:"title_link,omitempty"`
	Fallback    amOnly `yaml:"fallback,omitempty"`
	Footer      amOnly `yaml:"footer,omitempty"`
	Fields      amOnly `yaml:"fields,omitempty"`
	ShortFields amOnly `yaml:"short_fields,omitempty"`
	Actions     amOnly `yaml:"actions,omitempty"`
	CallbackID  amOnly `yaml:"callback_id,omitempty"`
	ImageURL    amOnly `yaml:"image_url,omitempty"`
	ThumbURL    amOnly `yaml:"thumb_url,omitempty"`
	LinkNames   amOnly `yaml:"link_names,omitempty"`
	MrkdwnIn    amOnly `yaml:"mrkdwn_in,omitempty"`
}

func (c *SlackConfig) applyDefaults() {
	fileSecret(&c.APIURL, c.APIURLFile)
	fileSecret(&c.AppToken, c.AppTokenFile)
	c.ChatConfig.applyDefaults(RateLimit{}) // Slack says when to slow down (429)
	setBool(&c.Charts, true)
}

func (c SlackConfig) validate() error {
	var errs field.List
	checkFileSecret(&errs, "api_url", c.APIURL, c.APIURLFile)
	checkFileSecret(&errs, "app_token", c.AppToken, c.AppTokenFile)
	switch {
	case c.APIURL.IsZero() && c.AppToken.IsZero():
		errs.Addf("api_url", "a Slack integration needs an incoming webhook (api_url, or global.slack_api_url) or a bot token (app_token)")
	case !c.APIURL.IsZero() && !c.AppToken.IsZero():
		errs.Addf("app_token", "give either api_url (a webhook) or app_token (a bot token), not both")
	case !c.AppToken.IsZero() && c.Channel == "":
		errs.Addf("channel", "a bot token needs the channel to post to")
	}
	errs.Add("api_url", checkSecretURL(c.APIURL, false))
	if c.AppURL != "" {
		errs.Add("app_url", checkHTTPURL(c.AppURL))
	}
	if c.IconURL != "" {
		errs.Add("icon_url", checkHTTPURL(c.IconURL))
	}
	errs.Add("", c.ChatConfig.validate(slackTitle, slackText))
	return errs.Err()
}

// Slack posts to Slack.
type Slack struct {
	webhook string        // an incoming webhook URL (a secret), or
	api     *slack.Client // a bot token's client
	channel string
	user    string
	emoji   string
	icon    string
	charts  bool
	client  *http.Client
	timeout time.Duration
	render  *chatRenderer
	logger  *slog.Logger
}

// NewSlack returns the Slack integration of cfg (defaults applied).
func NewSlack(cfg SlackConfig, client *http.Client, now func() time.Time, logger *slog.Logger) (*Slack, error) {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Slack{
		channel: cfg.Channel, user: cfg.Username, emoji: cfg.IconEmoji, icon: cfg.IconURL,
		charts: cfg.Charts == nil || *cfg.Charts, client: orDefaultClient(client),
		timeout: orDefault(cfg.Timeout.Std(), DefaultWebhookTimeout), logger: logger,
	}
	token, err := resolved(cfg.AppToken)
	if err != nil {
		return nil, fmt.Errorf("app_token: %w", err)
	}
	if token != "" {
		if cfg.Channel == "" {
			return nil, errors.New("a bot token needs the channel to post to")
		}
		s.api = slack.New(token, slack.OptionHTTPClient(s.client), slack.OptionAPIURL(slackAPIBase(cfg.AppURL)))
	} else {
		if s.webhook, err = resolved(cfg.APIURL); err != nil {
			return nil, fmt.Errorf("api_url: %w", err)
		}
		if err := checkHTTPURL(s.webhook); err != nil {
			return nil, fmt.Errorf("api_url: %w", err)
		}
	}
	tmpl, err := cfg.templates(slackTitle, slackText, now, logger)
	if err != nil {
		return nil, err
	}
	s.render = cfg.renderer(tmpl, func(p chatPart) bool {
		return utf8.RuneCountInString(p.Title)+utf8.RuneCountInString(p.Text) <= slackMaxText &&
			len(s.partBlocks(p)) <= slackMaxBlocks
	}, func(p chatPart) string {
		return truncateRunes(p.Text, slackMaxText-utf8.RuneCountInString(p.Title))
	})
	return s, nil
}

// slackAPIBase returns the Web API base URL of app_url, which may be
// Alertmanager's full chat.postMessage URL.
func slackAPIBase(appURL string) string {
	if appURL == "" {
		return DefaultSlackAppURL
	}
	appURL = strings.TrimSuffix(appURL, "chat.postMessage")
	if !strings.HasSuffix(appURL, "/") {
		appURL += "/"
	}
	return appURL
}

// blocks lays out a message: a header with the title, the text in
// sections of at most 3000 characters, the common labels as fields, and
// a button to Seismo.
func (s *Slack) blocks(title, text string, fields KV, link string) []slack.Block {
	var bs []slack.Block
	if title != "" {
		bs = append(bs, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncateRunes(title, slackMaxHeader), true, false)))
	}
	for _, chunk := range splitSlackText(text, slackMaxSectionText) {
		bs = append(bs, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, chunk, false, false), nil, nil))
	}
	if len(fields) > 0 {
		var fs []*slack.TextBlockObject
		for _, p := range fields.SortedPairs() {
			if len(fs) == slackMaxFields {
				break
			}
			fs = append(fs, slack.NewTextBlockObject(slack.MarkdownType,
				truncateRunes("*"+escapeSlack(p.Name)+"*\n"+escapeSlack(p.Value), slackMaxFieldText), false, false))
		}
		bs = append(bs, slack.NewSectionBlock(nil, fs, nil))
	}
	if link != "" {
		btn := slack.NewButtonBlockElement("seismo_open", "", slack.NewTextBlockObject(slack.PlainTextType, "Open Seismo", false, false)).WithURL(link)
		bs = append(bs, slack.NewActionBlock("", btn))
	}
	return bs
}

// partBlocks lays out a rendered part; its fields are the group's common
// labels.
func (s *Slack) partBlocks(p chatPart) []slack.Block {
	return s.blocks(p.Title, p.Text, p.Data.CommonLabels.Remove([]string{"alertname"}), p.Data.ExternalURL)
}

// splitSlackText cuts text into chunks of at most n characters, at line
// breaks where it can, never inside a character.
func splitSlackText(text string, n int) []string {
	var out []string
	for text != "" {
		if utf8.RuneCountInString(text) <= n {
			out = append(out, text)
			break
		}
		// The byte offset of the n-th character.
		end, count := len(text), 0
		for i := range text {
			if count == n {
				end = i
				break
			}
			count++
		}
		cut := end
		if nl := strings.LastIndexByte(text[:end], '\n'); nl > 0 {
			cut = nl
		}
		out = append(out, text[:cut])
		text = strings.TrimPrefix(text[cut:], "\n")
	}
	return out
}

// slackPart is one message to post.
type slackPart struct {
	text   string // the notification fallback: the title
	blocks []slack.Block
	alerts []TemplateAlert
}

// Parts returns the messages Notify posts for m.
func (s *Slack) parts(m *Message) ([]slackPart, error) {
	parts, err := s.render.parts(m)
	if err != nil {
		return nil, err
	}
	out := make([]slackPart, len(parts))
	for i, p := range parts {
		out[i] = slackPart{text: p.Title, blocks: s.partBlocks(p), alerts: p.Data.Alerts}
		if len(out[i].blocks) > slackMaxBlocks { // too many fields sections cannot happen; be safe
			out[i].blocks = out[i].blocks[:slackMaxBlocks]
		}
	}
	return out, nil
}

// Notify posts m, split into several messages if it is too long. With a
// bot token, the charts of the firing alerts follow each message in its
// thread; a chart that fails to upload is logged, and does not fail the
// notification that was delivered.
func (s *Slack) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	parts, err := s.parts(m)
	if err != nil {
		return false, fmt.Errorf("slack: render: %w", err)
	}
	return sendParts(ctx, len(parts), func(ctx context.Context, i int) (bool, error) {
		p := parts[i]
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		if s.api == nil {
			err := slack.PostWebhookCustomHTTPContext(rctx, s.webhook, s.client, &slack.WebhookMessage{
				Channel: s.channel, Username: s.user, IconEmoji: s.emoji, IconURL: s.icon,
				Text: p.text, Blocks: &slack.Blocks{BlockSet: p.blocks},
			})
			if err != nil {
				return slackError(err)
			}
			return false, nil
		}
		opts := []slack.MsgOption{slack.MsgOptionText(p.text, false), slack.MsgOptionBlocks(p.blocks...)}
		if s.user != "" {
			opts = append(opts, slack.MsgOptionUsername(s.user))
		}
		if s.emoji != "" {
			opts = append(opts, slack.MsgOptionIconEmoji(s.emoji))
		}
		if s.icon != "" {
			opts = append(opts, slack.MsgOptionIconURL(s.icon))
		}
		channel, ts, err := s.api.PostMessageContext(rctx, s.channel, opts...)
		if err != nil {
			return slackError(err)
		}
		if s.charts {
			s.uploadCharts(ctx, m, p.alerts, channel, ts)
		}
		return false, nil
	})
}

// uploadCharts uploads the charts of the firing alerts into the thread
// of the message ts.
func (s *Slack) uploadCharts(ctx context.Context, m *Message, alerts []TemplateAlert, channel, ts string) {
	uploaded := 0
	for _, ta := range alerts {
		if ta.Status != StatusFiring || uploaded == slackMaxChartUploads {
			continue
		}
		a := m.alertByFingerprint(ta.Fingerprint)
		if a == nil {
			continue
		}
		png, err := m.chart(ctx, a)
		if err != nil {
			s.logger.Warn("chart not drawn", "receiver", m.Receiver, "alert", a.Labels.String(), "err", err)
			continue
		}
		if len(png) == 0 {
			continue
		}
		name := chartFileName(a)
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		_, err = s.api.UploadFileContext(rctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(png), FileSize: len(png), Filename: name,
			Title: a.Labels.Get("alertname"), AltTxt: "chart of " + a.Labels.String(),
			Channel: channel, ThreadTimestamp: ts,
		})
		cancel()
		if err != nil {
			s.logger.Warn("chart not uploaded to Slack", "receiver", m.Receiver, "alert", a.Labels.String(), "err", err)
			continue
		}
		uploaded++
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// chartFileName names an alert's chart file: its alertname and
// fingerprint.
func chartFileName(a *Alert) string {
	name := unsafeFileChars.ReplaceAllString(a.Labels.Get("alertname"), "_")
	if name == "" {
		name = "alert"
	}
	return name + "-" + a.Fingerprint.String() + ".png"
}

// Slack Web API errors worth a retry; the rest (invalid_auth,
// channel_not_found, invalid_blocks, …) are not.
var slackRetryable = []string{"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}

// slackError classifies an error of slack-go.
func slackError(err error) (retry bool, _ error) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it repeats the URL, which may be the webhook's secret
	}
	switch {
	case errors.As(err, &rl):
		return true, fmt.Errorf("slack: %w: %w", ErrRateLimited, err)
	case errors.As(err, &sc):
		switch {
		case sc.Code == http.StatusTooManyRequests:
			return true, fmt.Errorf("slack: %w: %w", ErrRateLimited, err)
		case sc.Code/100 == 5:
			return true, fmt.Errorf("slack: %w: %w", errServerError, err)
		}
		return false, fmt.Errorf("slack: %w", err)
	case errors.As(err, &se):
		if slices.Contains(slackRetryable, se.Err) {
			return true, fmt.Errorf("slack: %w: %w", errServerError, err)
		}
		return false, fmt.Errorf("slack: %w", err)
	case errors.As(err, &syn), errors.As(err, &typ):
		return true, fmt.Errorf("slack: %w: %w", ErrBadResponse, err)
	}
	return true, fmt.Errorf("slack: %w", err)
}
