package alert

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// Default e-mail templates.
const (
	emailTitle = `{{ template "email.default.subject" . }}`
	emailText  = `{{ template "email.default.text" . }}`
	emailHTML  = `{{ template "email.default.html" . }}`
	// emailMaxCharts caps the charts embedded in one mail.
	emailMaxCharts = 10
)

// SMTP authentication mechanisms of auth_mechanism.
const (
	AuthPlain   = "plain"
	AuthLogin   = "login"
	AuthCRAMMD5 = "cram-md5"
)

// EmailConfig sends mail through an SMTP smarthost: an HTML body with the
// charts of the firing alerts inline, and a plain-text alternative. The
// field names are Alertmanager's; from, smarthost, hello, the auth_*
// fields, require_tls and tls_config default to the global block's smtp_*
// settings, as in Alertmanager.
type EmailConfig struct {
	To        AddressList `yaml:"to"`                  // one or more addresses; a comma-separated string works too
	From      string      `yaml:"from,omitempty"`      // "Seismo <seismo@example.com>"; default global.smtp_from
	Smarthost string      `yaml:"smarthost,omitempty"` // host:port; default global.smtp_smarthost
	// Hello is the name given in EHLO; default global.smtp_hello,
	// "localhost".
	Hello string `yaml:"hello,omitempty"`

	AuthUsername string       `yaml:"auth_username,omitempty"`
	AuthPassword field.Secret `yaml:"auth_password,omitempty"`
	// AuthPasswordFile is Alertmanager's form of auth_password: {file: …}.
	AuthPasswordFile string `yaml:"auth_password_file,omitempty"`
	// AuthSecret is the CRAM-MD5 shared secret (Alertmanager's field).
	AuthSecret     field.Secret `yaml:"auth_secret,omitempty"`
	AuthSecretFile string       `yaml:"auth_secret_file,omitempty"`
	// AuthIdentity is the authorization identity of PLAIN (RFC 4616),
	// usually empty; other mechanisms have none and ignore it.
	AuthIdentity string `yaml:"auth_identity,omitempty"`
	// AuthMechanism: plain, login or cram-md5. Default: cram-md5 with
	// auth_secret, otherwise the strongest the server offers (SCRAM,
	// CRAM-MD5, PLAIN, LOGIN; PLAIN and LOGIN only over TLS).
	AuthMechanism string `yaml:"auth_mechanism,omitempty"`

	// RequireTLS: STARTTLS is required (default); false uses it when the
	// server offers it.
	RequireTLS *bool `yaml:"require_tls,omitempty"`
	// ImplicitTLS speaks TLS from the first byte (SMTPS); default true
	// for port 465, as in Alertmanager.
	ImplicitTLS *bool `yaml:"implicit_tls,omitempty"`
	// ForceImplicitTLS is newer Alertmanagers' name of implicit_tls
	// (default global.smtp_force_implicit_tls).
	ForceImplicitTLS *bool     `yaml:"force_implicit_tls,omitempty"`
	TLSConfig        TLSConfig `yaml:"tls_config,omitempty"`

	// Headers are added to the mail; values are templates. A Subject
	// header replaces the title.
	Headers map[string]string `yaml:"headers,omitempty"`
	// Title (the subject), Text and HTML are templates; empty uses the
	// defaults. HTML is an html/template: values are escaped.
	Title    string `yaml:"title,omitempty"`
	Text     string `yaml:"text,omitempty"`
	HTML     string `yaml:"html,omitempty"`
	Timezone string `yaml:"timezone,omitempty"` // of the times in the mail; default the server's
	// Charts embeds a chart of each firing alert (at most ten) when the
	// engine draws charts. Default true.
	Charts       *bool          `yaml:"charts,omitempty"`
	SendResolved *bool          `yaml:"send_resolved,omitempty"` // default true
	Timeout      field.Duration `yaml:"timeout,omitempty"`       // one SMTP conversation; default 30s
	RateLimit    RateLimit      `yaml:"rate_limit,omitempty"`    // default none

	// Threading is newer Alertmanagers' grouping of mails into threads;
	// accepted, so that a pasted email_config loads, and ignored.
	Threading amOnly `yaml:"threading,omitempty"`

	// defs are the definitions of Config.Templates that the templates
	// may call; set by the Manager (and Validate), nil for the defaults.
	defs *templateLib
}

// AddressList is a list of mail addresses, written as a YAML list or as
// one comma-separated string (Alertmanager's form).
type AddressList []string

// UnmarshalYAML reads a list or a comma-separated string.
func (l *AddressList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = nil
		for _, a := range splitAddresses(n.Value) {
			*l = append(*l, a)
		}
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*l = s
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected an address or a list of addresses", n.Line)}}
}

// splitAddresses splits "a@x, Name <b@y>" at the commas between
// addresses (not those inside a quoted display name).
func splitAddresses(s string) []string {
	var out []string
	quoted, start := false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			if a := strings.TrimSpace(s[start:i]); a != "" {
				out = append(out, a)
			}
			start = i + 1
		}
	}
	if a := strings.TrimSpace(s[start:]); a != "" {
		out = append(out, a)
	}
	return out
}

func (c *EmailConfig) applyDefaults() {
	fileSecret(&c.AuthPassword, c.AuthPasswordFile)
	fileSecret(&c.AuthSecret, c.AuthSecretFile)
	setBool(&c.SendResolved, true)
	setBool(&c.RequireTLS, true)
	setBool(&c.Charts, true)
	setDuration(&c.Timeout, DefaultEmailTimeout)
	if c.Hello == "" {
		c.Hello = "localhost"
	}
	if c.ImplicitTLS == nil && c.ForceImplicitTLS != nil {
		v := *c.ForceImplicitTLS
		c.ImplicitTLS = &v
	}
	if c.ImplicitTLS == nil {
		_, port, _ := net.SplitHostPort(c.Smarthost)
		implicit := port == "465"
		c.ImplicitTLS = &implicit
	}
}

func (c EmailConfig) validate() error {
	var errs field.List
	if len(c.To) == 0 {
		errs.Addf("to", "an e-mail integration needs at least one recipient")
	}
	for i, a := range c.To {
		if _, err := mail.ParseAddress(a); err != nil {
			errs.Addf(fmt.Sprintf("to[%d]", i), "invalid address %q", a)
		}
	}
	if c.From == "" {
		errs.Addf("from", "required (here or as global.smtp_from)")
	} else if err := checkAddress(c.From); err != nil {
		errs.Add("from", err)
	}
	if c.Smarthost == "" {
		errs.Addf("smarthost", "required (here or as global.smtp_smarthost)")
	} else if _, _, err := splitSmarthost(c.Smarthost); err != nil {
		errs.Add("smarthost", err)
	}
	checkFileSecret(&errs, "auth_password", c.AuthPassword, c.AuthPasswordFile)
	if c.ForceImplicitTLS != nil && c.ImplicitTLS != nil && *c.ForceImplicitTLS != *c.ImplicitTLS {
		errs.Addf("force_implicit_tls", "contradicts implicit_tls (the same setting under its Seismo name)")
	}
	checkFileSecret(&errs, "auth_secret", c.AuthSecret, c.AuthSecretFile)
	switch strings.ToLower(c.AuthMechanism) {
	case "", AuthPlain, AuthLogin:
	case AuthCRAMMD5:
		if c.AuthSecret.IsZero() && c.AuthPassword.IsZero() {
			errs.Addf("auth_secret", "cram-md5 needs auth_secret (or auth_password)")
		}
	default:
		errs.Addf("auth_mechanism", "unknown mechanism %q (use plain, login or cram-md5)", c.AuthMechanism)
	}
	if c.AuthUsername == "" && (!c.AuthPassword.IsZero() || !c.AuthSecret.IsZero()) {
		errs.Addf("auth_username", "a password or secret needs the user name")
	}
	errs.Add("tls_config", c.TLSConfig.validate())
	if c.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	}
	if _, err := c.templates(nil, nil); err != nil {
		errs.Add("", err)
	}
	return errs.Err()
}

// checkAddress checks one mail address ("Name <a@b>" or "a@b").
func checkAddress(a string) error {
	if _, err := mail.ParseAddress(a); err != nil {
		return fmt.Errorf("invalid address %q", a)
	}
	return nil
}

// splitSmarthost parses host:port.
func splitSmarthost(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", 0, fmt.Errorf("want host:port, got %q", s)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port in %q", s)
	}
	return host, port, nil
}

// templates parses the subject, text, HTML and header templates.
func (c EmailConfig) templates(now func() time.Time, logger *slog.Logger) (*templateSet, error) {
	specs := []templateSpec{
		{name: "title", src: c.Title, def: emailTitle},
		{name: "text", src: c.Text, def: emailText},
		{name: "html", src: c.HTML, def: emailHTML, html: true},
	}
	for k, v := range c.Headers {
		// A header has no default: one that fails on some data is left
		// empty rather than wrong.
		specs = append(specs, templateSpec{name: "headers." + k, src: v})
	}
	return newTemplateSet(specs, c.defs, c.Timezone, now, logger)
}

// Email sends notifications by mail.
type Email struct {
	host, hello string
	port        int
	from        string
	to          []string
	opts        []gomail.Option
	headers     []string // names of the templated headers
	charts      bool
	tmpl        *templateSet
	now         func() time.Time
	logger      *slog.Logger
}

// NewEmail returns the e-mail integration of cfg (defaults applied).
func NewEmail(cfg EmailConfig, now func() time.Time, logger *slog.Logger) (*Email, error) {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	host, port, err := splitSmarthost(cfg.Smarthost)
	if err != nil {
		return nil, fmt.Errorf("smarthost: %w", err)
	}
	tmpl, err := cfg.templates(now, logger)
	if err != nil {
		return nil, err
	}
	e := &Email{
		host: host, port: port, hello: cfg.Hello, from: cfg.From, to: cfg.To,
		charts: cfg.Charts == nil || *cfg.Charts, tmpl: tmpl, now: now, logger: logger,
	}
	if e.hello == "" {
		e.hello = "localhost"
	}
	for k := range cfg.Headers {
		e.headers = append(e.headers, k)
	}

	tc, err := cfg.TLSConfig.build(host)
	if err != nil {
		return nil, err
	}
	timeout := orDefault(cfg.Timeout.Std(), DefaultEmailTimeout)
	e.opts = []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout), gomail.WithHELO(e.hello), gomail.WithTLSConfig(tc)}
	switch {
	case cfg.ImplicitTLS != nil && *cfg.ImplicitTLS:
		e.opts = append(e.opts, gomail.WithSSL())
	case cfg.RequireTLS == nil || *cfg.RequireTLS:
		e.opts = append(e.opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		e.opts = append(e.opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.AuthUsername != "" {
		password, err := resolved(cfg.AuthPassword)
		if err != nil {
			return nil, fmt.Errorf("auth_password: %w", err)
		}
		secret, err := resolved(cfg.AuthSecret)
		if err != nil {
			return nil, fmt.Errorf("auth_secret: %w", err)
		}
		mech := gomail.SMTPAuthAutoDiscover
		switch strings.ToLower(cfg.AuthMechanism) {
		case AuthPlain:
			mech = gomail.SMTPAuthPlain
		case AuthLogin:
			mech = gomail.SMTPAuthLogin
		case AuthCRAMMD5:
			mech = gomail.SMTPAuthCramMD5
		case "":
			if secret != "" {
				mech = gomail.SMTPAuthCramMD5
			}
		default:
			return nil, fmt.Errorf("auth_mechanism: unknown mechanism %q", cfg.AuthMechanism)
		}
		if mech == gomail.SMTPAuthCramMD5 && secret != "" {
			password = secret // CRAM-MD5 keys its HMAC with the shared secret
		}
		switch {
		case cfg.AuthIdentity != "" && (mech == gomail.SMTPAuthPlain || mech == gomail.SMTPAuthAutoDiscover):
			// Only PLAIN carries an authorization identity; go-mail's
			// own PLAIN sends none, so give it the mechanism itself
			// (which, like go-mail's, refuses an unencrypted connection).
			e.opts = append(e.opts, gomail.WithSMTPAuthCustom(smtp.PlainAuth(cfg.AuthIdentity, cfg.AuthUsername, password, host, false)))
		default:
			e.opts = append(e.opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(cfg.AuthUsername), gomail.WithPassword(password))
		}
	}
	return e, nil
}

// Build returns the mail of m: subject, plain text and HTML alternatives,
// and the charts of the firing alerts as inline images the HTML shows.
func (e *Email) Build(ctx context.Context, m *Message) (*gomail.Msg, error) {
	d := newTemplateData(m, m.Alerts, e.tmpl.loc)
	type chart struct {
		cid, name string
		png       []byte
	}
	var charts []chart
	if e.charts {
		for i := range d.Alerts {
			ta := &d.Alerts[i]
			if ta.Status != StatusFiring || len(charts) == emailMaxCharts {
				continue
			}
			a := m.alertByFingerprint(ta.Fingerprint)
			if a == nil {
				continue
			}
			png, err := m.chart(ctx, a)
			if err != nil {
				// The mail is worth more than its picture.
				e.logger.Warn("chart not drawn", "receiver", m.Receiver, "err", err)
				continue
			}
			if len(png) == 0 {
				continue
			}
			cid := "chart-" + ta.Fingerprint + "@seismo"
			ta.ChartURL = htmltemplate.URL("cid:" + htmlURL(cid))
			charts = append(charts, chart{cid: cid, name: chartFileName(a), png: png})
		}
	}
	subject, err := e.tmpl.render("title", d)
	if err != nil {
		return nil, err
	}
	text, err := e.tmpl.render("text", d)
	if err != nil {
		return nil, err
	}
	html, err := e.tmpl.render("html", d)
	if err != nil {
		return nil, err
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(e.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(e.to...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(strings.Join(strings.Fields(subject), " "))
	msg.SetDateWithValue(e.now())
	msg.SetMessageID()
	msg.SetUserAgent(userAgent())
	for _, k := range e.headers {
		v, err := e.tmpl.render("headers."+k, d)
		if err != nil {
			return nil, err
		}
		v = strings.Join(strings.Fields(v), " ") // no header injection through a newline
		if v == "" {
			continue
		}
		if strings.EqualFold(k, "Subject") {
			msg.Subject(v)
			continue
		}
		msg.SetGenHeader(gomail.Header(textproto.CanonicalMIMEHeaderKey(k)), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	for _, c := range charts {
		if err := msg.EmbedReader(c.name, strings.NewReader(string(c.png)),
			gomail.WithFileContentID("<"+c.cid+">"), gomail.WithFileContentType("image/png")); err != nil {
			return nil, fmt.Errorf("embed chart: %w", err)
		}
	}
	return msg, nil
}

// htmlURL returns s as it may stand in a URL's opaque part.
func htmlURL(s string) string { return strings.NewReplacer("%", "%25", " ", "%20").Replace(s) }

// Notify sends m as one mail to all recipients.
func (e *Email) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	msg, err := e.Build(ctx, m)
	if err != nil {
		return false, fmt.Errorf("email: %w", err)
	}
	return sendParts(ctx, 1, func(ctx context.Context, _ int) (bool, error) {
		c, err := gomail.NewClient(e.host, e.opts...)
		if err != nil {
			return false, fmt.Errorf("email: %w", err)
		}
		if err := c.DialAndSendWithContext(ctx, msg); err != nil {
			return smtpError(err)
		}
		return false, nil
	})
}

// smtpError classifies an SMTP failure: a 4xx reply is temporary (retry),
// a 5xx reply permanent (dropped: a rejected recipient, failed
// authentication); failures without a reply (network, TLS) are retried.
func smtpError(err error) (retry bool, _ error) {
	err = fmt.Errorf("email: %w", err)
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch code := se.ErrorCode(); {
		case code >= 500:
			return false, err
		case code >= 400:
			return true, fmt.Errorf("%w: %w", errServerError, err)
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		switch {
		case te.Code >= 500:
			return false, err
		case te.Code >= 400:
			return true, fmt.Errorf("%w: %w", errServerError, err)
		}
	}
	msg := err.Error()
	if strings.Contains(msg, "does not support STARTTLS") || strings.Contains(msg, "does not support SMTP AUTH") ||
		strings.Contains(msg, "not supported") && strings.Contains(msg, "auth") {
		// The server lacks what the configuration requires.
		return false, err
	}
	return true, err
}
