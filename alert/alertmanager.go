package alert

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// AlertmanagerConfig forwards alerts to an existing Prometheus
// Alertmanager through its API (POST /api/v2/alerts), as Prometheus does:
// Seismo detects, that Alertmanager routes.
//
// Firing alerts are sent at every flush of their group (every
// group_interval), without an end time: Alertmanager resolves an alert it
// has not heard of for its own resolve_timeout (5m by default), so keep
// group_interval below that. Resolved alerts are sent with their end time.
type AlertmanagerConfig struct {
	// URL is the Alertmanager's base URL (http://alertmanager:9093, with
	// its path prefix if it has one).
	URL          string            `yaml:"url"`
	BearerToken  field.Secret      `yaml:"bearer_token,omitempty"`
	BasicAuth    BasicAuth         `yaml:"basic_auth,omitempty"`
	Labels       map[string]string `yaml:"labels,omitempty"`        // added to every alert's labels (its own win)
	SendResolved *bool             `yaml:"send_resolved,omitempty"` // default true
	Timeout      field.Duration    `yaml:"timeout,omitempty"`       // per request; default 10s
	RateLimit    RateLimit         `yaml:"rate_limit,omitempty"`    // default none
	// HTTPConfig is the HTTP client (proxy, TLS); its authentication
	// may be used instead of bearer_token and basic_auth, not with them.
	HTTPConfig *HTTPConfig `yaml:"http_config,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username string       `yaml:"username,omitempty"`
	Password field.Secret `yaml:"password,omitempty"`
	// PasswordFile is Alertmanager's form of password: {file: path}.
	PasswordFile string `yaml:"password_file,omitempty"`
}

func (c *AlertmanagerConfig) applyDefaults() {
	setBool(&c.SendResolved, true)
	setDuration(&c.Timeout, DefaultWebhookTimeout)
	fileSecret(&c.BasicAuth.Password, c.BasicAuth.PasswordFile)
	if c.HTTPConfig != nil {
		c.HTTPConfig.applyDefaults()
	}
}

func (c AlertmanagerConfig) validate() error {
	var errs field.List
	if c.URL == "" {
		errs.Addf("url", "required")
	} else if err := checkHTTPURL(c.URL); err != nil {
		errs.Add("url", err)
	}
	if !c.BearerToken.IsZero() && c.BasicAuth.Username != "" {
		errs.Addf("bearer_token", "give either bearer_token or basic_auth, not both")
	}
	if c.BasicAuth.Username == "" && !c.BasicAuth.Password.IsZero() {
		errs.Addf("basic_auth.username", "a password needs the user name")
	}
	checkFileSecret(&errs, "basic_auth.password", c.BasicAuth.Password, c.BasicAuth.PasswordFile)
	if h := c.HTTPConfig; h != nil {
		errs.Add("http_config", h.validate())
		if (h.BasicAuth != nil || h.Authorization != nil || !h.BearerToken.IsZero()) && (!c.BearerToken.IsZero() || c.BasicAuth.Username != "") {
			errs.Addf("http_config", "give the credentials either in http_config or as bearer_token/basic_auth, not both")
		}
	}
	for k := range c.Labels {
		if !legacyLabelName.MatchString(k) {
			errs.Addf("labels."+k, "invalid label name %q", k)
		}
	}
	if c.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	}
	return errs.Err()
}

// Alertmanager forwards alerts to an Alertmanager.
type Alertmanager struct {
	url       string
	auth      string // the Authorization header, a secret
	labels    map[string]string
	client    *http.Client
	timeout   time.Duration
	userAgent string
}

// NewAlertmanager returns the forwarding integration of cfg.
func NewAlertmanager(cfg AlertmanagerConfig, client *http.Client) (*Alertmanager, error) {
	if err := checkHTTPURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	a := &Alertmanager{
		url: strings.TrimSuffix(cfg.URL, "/") + "/api/v2/alerts", labels: cfg.Labels,
		client: orDefaultClient(client), timeout: orDefault(cfg.Timeout.Std(), DefaultWebhookTimeout), userAgent: userAgent(),
	}
	token, err := resolved(cfg.BearerToken)
	if err != nil {
		return nil, fmt.Errorf("bearer_token: %w", err)
	}
	switch {
	case token != "":
		a.auth = "Bearer " + token
	case cfg.BasicAuth.Username != "":
		pw, err := resolved(cfg.BasicAuth.Password)
		if err != nil {
			return nil, fmt.Errorf("basic_auth.password: %w", err)
		}
		a.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.BasicAuth.Username+":"+pw))
	}
	return a, nil
}

// PostableAlert is an alert in Alertmanager's API (v2 postableAlert).
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"` // nil while firing
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Payload returns the alerts Notify posts for m.
func (a *Alertmanager) Payload(m *Message) []PostableAlert {
	out := make([]PostableAlert, 0, len(m.Alerts))
	for _, al := range m.Alerts {
		ls := make(map[string]string, al.Labels.Len()+len(a.labels))
		maps.Copy(ls, a.labels)
		al.Labels.Range(func(l labels.Label) { ls[l.Name] = l.Value })
		p := PostableAlert{Labels: ls, Annotations: al.Annotations, StartsAt: al.StartsAt, GeneratorURL: al.GeneratorURL}
		if al.Resolved() {
			end := al.EndsAt
			p.EndsAt = &end
		}
		out = append(out, p)
	}
	return out
}

// Notify posts m's alerts. Alertmanager answers 200 with an empty body;
// a 400 (an alert it will not take) is not retried, a 5xx is.
func (a *Alertmanager) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	body, err := json.Marshal(a.Payload(m))
	if err != nil {
		return false, fmt.Errorf("alertmanager: encode: %w", err)
	}
	return sendParts(ctx, 1, func(ctx context.Context, _ int) (bool, error) {
		reply, err := postHTTPAuth(ctx, a.client, a.timeout, a.url, a.auth, a.userAgent, body)
		if err != nil {
			return true, fmt.Errorf("alertmanager: %w", err)
		}
		if retry, err := reply.statusError(); err != nil {
			return retry, fmt.Errorf("alertmanager: %w", err)
		}
		return false, nil
	})
}
