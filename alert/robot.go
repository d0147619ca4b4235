package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// What the chat robots (WeCom, DingTalk, Feishu) share: how a robot's
// webhook is given, and how its JSON answer is read.

// robotEndpoint describes a robot whose webhook is given either whole (url)
// or as a key (WeCom's key, DingTalk's access_token) that goes in the query
// of the vendor's endpoint (api_url, for a private deployment).
type robotEndpoint struct {
	vendor     string // for errors: "WeCom", "DingTalk"
	keyField   string // the config field and query parameter of the key
	defaultAPI string // the endpoint when api_url is not set
}

// validate checks that exactly one of url and key is given, and the URLs'
// form.
func (e robotEndpoint) validate(errs *field.List, u, key field.Secret, apiURL string) {
	switch {
	case u.IsZero() && key.IsZero():
		errs.Addf("url", "a %s robot needs its webhook url or its %s", e.vendor, e.keyField)
	case !u.IsZero() && !key.IsZero():
		errs.Addf(e.keyField, "give either url or %s, not both", e.keyField)
	}
	errs.Add("url", checkSecretURL(u, false))
	if apiURL != "" {
		errs.Add("api_url", checkHTTPURL(apiURL))
	}
}

// resolve returns the robot's webhook URL: url, or the endpoint with the
// key in its query. The URL holds the key: never log it or put it in errors.
func (e robotEndpoint) resolve(u, key field.Secret, apiURL string) (string, error) {
	raw, err := resolved(u)
	if err != nil {
		return "", fmt.Errorf("url: %w", err)
	}
	if raw == "" {
		k, err := resolved(key)
		if err != nil {
			return "", fmt.Errorf("%s: %w", e.keyField, err)
		}
		if k == "" {
			return "", fmt.Errorf("a %s robot needs its webhook url or its %s", e.vendor, e.keyField)
		}
		base := apiURL
		if base == "" {
			base = e.defaultAPI
		}
		raw = base + "?" + e.keyField + "=" + url.QueryEscape(k)
	}
	if err := checkHTTPURL(raw); err != nil {
		return "", fmt.Errorf("url: %w", err)
	}
	return raw, nil
}

// errcodeBusy is the errcode with which WeCom and DingTalk robots ask to
// try again.
const errcodeBusy = -1

// postErrcodeRobot posts body to a robot that answers {"errcode": n,
// "errmsg": "…"} (WeCom, DingTalk): rateLimited is its errcode of the rate
// limit, and pause how long that limit lasts.
func postErrcodeRobot(ctx context.Context, client *http.Client, timeout time.Duration, rawURL, contentType, userAgent string, body []byte, rateLimited int, pause time.Duration) (retry bool, err error) {
	reply, err := postHTTP(ctx, client, timeout, rawURL, contentType, userAgent, body)
	if err != nil {
		return true, err
	}
	return robotResult(reply, "errcode", "errmsg", func(code int, _ string) robotVerdict {
		switch code {
		case rateLimited:
			return robotVerdict{rateLimited: true, pause: pause}
		case errcodeBusy:
			return robotVerdict{retry: true}
		}
		return robotVerdict{}
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
