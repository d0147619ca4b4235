package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/store"
)

// This file serves the alert router's API: silences, acknowledgements, the
// alerts with their status and the notification history. Documented in
// docs/alert-api.md.

// Limits on GET /api/v1/notifications, the store's.
const (
	defaultNotificationLimit = 100
	maxNotificationLimit     = 10000
)

// alertRoutes registers the alert router's endpoints on mux.
func (s *Server) alertRoutes() {
	s.mux.HandleFunc("GET /api/v1/alerts", s.listAlerts)
	s.mux.HandleFunc("GET /api/v1/alerts/{fingerprint}", s.getAlert)
	s.mux.HandleFunc("POST /api/v1/alerts/{fingerprint}/ack", s.ackAlert)
	s.mux.HandleFunc("GET /api/v1/silences", s.listSilences)
	s.mux.HandleFunc("POST /api/v1/silences", s.postSilence)
	s.mux.HandleFunc("GET /api/v1/silences/{id}", s.getSilence)
	s.mux.HandleFunc("DELETE /api/v1/silences/{id}", s.deleteSilence)
	s.mux.HandleFunc("GET /api/v1/notifications", s.listNotifications)
}

// alertJSON is an alert as the API shows it. Status stays "firing" or
// "resolved", as it always was in this API; Alertmanager's API v2 status
// object (state, silencedBy, inhibitedBy) is flattened next to it.
type alertJSON struct {
	Fingerprint  string            `json:"fingerprint"`
	Status       string            `json:"status"` // firing or resolved
	Labels       labels.Labels     `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	// State is active (notified) or suppressed (silenced, inhibited, or
	// muted by a time interval on every route it takes).
	State       string   `json:"state"`
	SilencedBy  []string `json:"silencedBy"`  // IDs of the active silences that match it
	InhibitedBy []string `json:"inhibitedBy"` // fingerprints of the alerts that inhibit it
	MutedBy     []string `json:"mutedBy"`     // the time intervals that mute it now
	Receivers   []string `json:"receivers"`   // of the routes it matches
	Acked       *ackJSON `json:"acknowledged,omitempty"`
}

// ackJSON is an alert's acknowledgement.
type ackJSON struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

func toAlertJSON(aws alert.AlertWithStatus) alertJSON {
	a, st := aws.Alert, aws.Status
	out := alertJSON{
		Fingerprint: a.Fingerprint.String(), Status: a.Status(), Labels: a.Labels,
		Annotations: a.Annotations, StartsAt: a.StartsAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
		GeneratorURL: a.GeneratorURL,
		State:        st.State, SilencedBy: nonNil(st.SilencedBy), InhibitedBy: nonNil(st.InhibitedBy),
		MutedBy: nonNil(st.MutedBy), Receivers: nonNil(st.Receivers),
	}
	if a.Resolved() {
		out.EndsAt = a.EndsAt.UTC()
	}
	if a.Acknowledged() {
		out.Acked = &ackJSON{By: a.AckedBy, At: a.AckedAt.UTC(), Comment: a.AckComment}
	}
	return out
}

// nonNil returns s, or an empty slice for nil, so that JSON lists are []
// rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// alertQuery is a parsed GET /api/v1/alerts query: Alertmanager's filter
// (matchers, all of which must match) and its active, silenced and
// inhibited switches, plus muted.
type alertQuery struct {
	matchers                           []*labels.Matcher
	active, silenced, inhibited, muted bool
}

func parseAlertQuery(r *http.Request) (alertQuery, error) {
	q := r.URL.Query()
	aq := alertQuery{active: true, silenced: true, inhibited: true, muted: true}
	for _, f := range q["filter"] {
		ms, err := alert.ParseMatchers(f)
		if err != nil {
			return aq, fmt.Errorf("filter %q: %w", f, err)
		}
		aq.matchers = append(aq.matchers, ms...)
	}
	for _, sw := range []struct {
		name string
		v    *bool
	}{{"active", &aq.active}, {"silenced", &aq.silenced}, {"inhibited", &aq.inhibited}, {"muted", &aq.muted}} {
		if s := q.Get(sw.name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return aq, fmt.Errorf("%s: want true or false, got %q", sw.name, s)
			}
			*sw.v = b
		}
	}
	return aq, nil
}

// keep reports whether the query lists an alert with this status: an
// active alert when active is set; a suppressed one when every reason it
// is suppressed for is asked for (as in Alertmanager, silenced=false hides
// a silenced alert even if it is also inhibited).
func (aq alertQuery) keep(aws alert.AlertWithStatus) bool {
	for _, m := range aq.matchers {
		if !m.Matches(aws.Alert.Labels.Get(m.Name)) {
			return false
		}
	}
	st := aws.Status
	if st.State != alert.AlertStateSuppressed {
		return aq.active
	}
	return (aq.silenced || len(st.SilencedBy) == 0) &&
		(aq.inhibited || len(st.InhibitedBy) == 0) &&
		(aq.muted || len(st.MutedBy) == 0)
}

// listAlerts serves GET /api/v1/alerts[?filter=&active=&silenced=&inhibited=&muted=]:
// the alerts the manager holds now, resolved ones until they are
// notified, with their status.
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	aq, err := parseAlertQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	out := []alertJSON{}
	for _, aws := range s.opts.Engine.Alerts().AlertsWithStatus() {
		if aq.keep(aws) {
			out = append(out, toAlertJSON(aws))
		}
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"alerts": out}})
}

// getAlert serves GET /api/v1/alerts/{fingerprint}.
func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	fp, err := parseFingerprint(r.PathValue("fingerprint"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	aws, ok := s.opts.Engine.Alerts().Alert(fp)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", fmt.Errorf("%w: %s", alert.ErrAlertNotFound, fp))
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"alert": toAlertJSON(aws)}})
}

// matcherJSON is a matcher as Alertmanager's API v2 writes it.
type matcherJSON struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

func toMatcherJSON(m *labels.Matcher) matcherJSON {
	return matcherJSON{
		Name: m.Name, Value: m.Value,
		IsRegex: m.Type == labels.MatchRegexp || m.Type == labels.MatchNotRegexp,
		IsEqual: m.Type == labels.MatchEqual || m.Type == labels.MatchRegexp,
	}
}

// silenceJSON is a silence as the API shows it: Alertmanager's API v2
// gettableSilence.
type silenceJSON struct {
	ID        string        `json:"id"`
	Matchers  []matcherJSON `json:"matchers"`
	StartsAt  time.Time     `json:"startsAt"`
	EndsAt    time.Time     `json:"endsAt"`
	UpdatedAt time.Time     `json:"updatedAt,omitzero"`
	CreatedBy string        `json:"createdBy"`
	Comment   string        `json:"comment"`
	Status    struct {
		State alert.SilenceState `json:"state"`
	} `json:"status"`
}

func toSilenceJSON(sil alert.Silence, now time.Time) silenceJSON {
	out := silenceJSON{
		ID: sil.ID, Matchers: make([]matcherJSON, len(sil.Matchers)),
		StartsAt: sil.StartsAt.UTC(), EndsAt: sil.EndsAt.UTC(), UpdatedAt: sil.UpdatedAt.UTC(),
		CreatedBy: sil.CreatedBy, Comment: sil.Comment,
	}
	for i, m := range sil.Matchers {
		out.Matchers[i] = toMatcherJSON(m)
	}
	out.Status.State = sil.State(now)
	return out
}

// silenceBody is the body of POST /api/v1/silences: Alertmanager's
// postableSilence, whose matchers may also be strings in Alertmanager's
// matcher syntax. Status and updatedAt, which a client gets from GET, are
// accepted and ignored so that a listed silence can be edited and posted
// back; any other unknown field is an error (a misspelt "endAt" must not
// create a silence that never ends as intended).
type silenceBody struct {
	ID        string            `json:"id"`
	Matchers  []json.RawMessage `json:"matchers"`
	StartsAt  string            `json:"startsAt"`
	EndsAt    string            `json:"endsAt"`
	CreatedBy string            `json:"createdBy"`
	Comment   string            `json:"comment"`
	Status    json.RawMessage   `json:"status"`
	UpdatedAt json.RawMessage   `json:"updatedAt"`
}

// matcherObject is a matcher in object form as a client sends it: name
// and value are required, isEqual defaults to true as in Alertmanager.
type matcherObject struct {
	Name    *string `json:"name"`
	Value   *string `json:"value"`
	IsRegex *bool   `json:"isRegex"`
	IsEqual *bool   `json:"isEqual"`
}

// parseSilence decodes a POST /api/v1/silences body. The result still
// goes through the Manager's validation (at least one matcher that does
// not match the empty value, an end after the start and in the future);
// this checks what only the wire form can get wrong, with messages that
// name the field.
func parseSilence(body []byte) (alert.Silence, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b silenceBody
	if err := dec.Decode(&b); err != nil {
		return alert.Silence{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return alert.Silence{}, errors.New("invalid JSON: unexpected data after the silence object")
	}
	sil := alert.Silence{ID: b.ID, CreatedBy: b.CreatedBy, Comment: b.Comment}
	if len(b.Matchers) == 0 {
		return alert.Silence{}, errors.New("matchers: a silence needs at least one matcher")
	}
	for i, raw := range b.Matchers {
		ms, err := parseMatcherJSON(raw)
		if err != nil {
			return alert.Silence{}, fmt.Errorf("matchers[%d]: %w", i, err)
		}
		sil.Matchers = append(sil.Matchers, ms...)
	}
	if len(sil.Matchers) == 0 {
		return alert.Silence{}, errors.New("matchers: a silence needs at least one matcher")
	}
	var err error
	if sil.StartsAt, err = parseSilenceTime(b.StartsAt); err != nil {
		return alert.Silence{}, fmt.Errorf("startsAt: %w", err)
	}
	if b.EndsAt == "" {
		return alert.Silence{}, errors.New("endsAt: a silence needs an end")
	}
	if sil.EndsAt, err = parseSilenceTime(b.EndsAt); err != nil {
		return alert.Silence{}, fmt.Errorf("endsAt: %w", err)
	}
	if !sil.StartsAt.IsZero() && !sil.EndsAt.After(sil.StartsAt) {
		return alert.Silence{}, fmt.Errorf("endsAt (%s) must be after startsAt (%s)", sil.EndsAt.Format(time.RFC3339), sil.StartsAt.Format(time.RFC3339))
	}
	return sil, nil
}

// latestSilenceTime bounds a silence's times: the store keeps nanoseconds
// since 1970 in 64 bits, which end in 2262, and a silence meant to last
// "forever" is better refused than wrapped around.
var latestSilenceTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// parseSilenceTime parses a silence's start or end ("" is the zero time).
func parseSilenceTime(s string) (time.Time, error) {
	t, err := parseTime(s)
	switch {
	case err != nil:
		return time.Time{}, err
	case t.IsZero():
		return t, nil
	case t.Before(time.Unix(0, 0)):
		return time.Time{}, fmt.Errorf("must not be before 1970: %s", s)
	case !t.Before(latestSilenceTime):
		return time.Time{}, fmt.Errorf("must be before %s: %s", latestSilenceTime.Format(time.DateOnly), s)
	}
	return t, nil
}

// parseMatcherJSON reads one entry of a silence's matchers: an object
// {name, value, isRegex, isEqual}, or a string of one or more matchers in
// Alertmanager's syntax (`team="fx"`, `{a="b", c=~"d"}`).
func parseMatcherJSON(raw json.RawMessage) ([]*labels.Matcher, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("invalid string: %w", err)
		}
		ms, err := alert.ParseMatchers(s)
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 {
			return nil, fmt.Errorf("%q holds no matcher", s)
		}
		return ms, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var o matcherObject
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("want an object {name, value, isRegex, isEqual} or a string such as %q: %w", `team="payments"`, err)
	}
	switch {
	case o.Name == nil || *o.Name == "":
		return nil, errors.New("name is required")
	case o.Value == nil:
		return nil, errors.New("value is required (it may be empty)")
	}
	regex := o.IsRegex != nil && *o.IsRegex
	equal := o.IsEqual == nil || *o.IsEqual
	typ := labels.MatchEqual
	switch {
	case regex && equal:
		typ = labels.MatchRegexp
	case regex:
		typ = labels.MatchNotRegexp
	case !equal:
		typ = labels.MatchNotEqual
	}
	m, err := labels.NewMatcher(typ, *o.Name, *o.Value)
	if err != nil {
		return nil, fmt.Errorf("invalid regex %q: %w", *o.Value, err)
	}
	return []*labels.Matcher{m}, nil
}

// readBody reads a request body, answering 413 when it exceeds
// maxBodyBytes (the Handler caps every body) and 400 when it cannot be
// read. It reports whether the caller may go on.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "bad_data", fmt.Errorf("request body larger than %d bytes", tooBig.Limit))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("read request body: %w", err))
		return nil, false
	}
	return body, true
}

// postSilence serves POST /api/v1/silences: it creates a silence, or
// updates the one named by id, and answers its ID (a new one when the
// update could not be made in place).
func (s *Server) postSilence(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	sil, err := parseSilence(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	if sil.CreatedBy, err = whoIs(r, sil.CreatedBy, "createdBy"); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	mgr := s.opts.Engine.Alerts()
	var before []byte
	if prev, ok := mgr.Silence(sil.ID); ok && sil.ID != "" {
		before = s.silenceAuditJSON(prev)
	}
	saved, err := mgr.AddSilence(r.Context(), sil)
	if err != nil {
		s.writeAlertError(w, "save silence", err)
		return
	}
	action := auditSilenceCreate
	if sil.ID != "" {
		action = auditSilenceUpdate
	}
	s.audit(r, store.AuditEntry{Action: action, Target: saved.ID, Before: before, After: s.silenceAuditJSON(saved)})
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"silenceID": saved.ID}})
}

// Actions of the alert API in the audit log (GET /api/v1/audit), next to
// the labeling API's.
const (
	auditSilenceCreate = "silence.create"
	auditSilenceUpdate = "silence.update" // Target is the silence's ID after the update (a new one if it was replaced)
	auditSilenceExpire = "silence.expire"
	auditAlertAck      = "alert.ack" // Target is the alert's fingerprint
)

// whoIs returns who makes a silence or an acknowledgement: the name given
// in the body, or else the request's token name. On an open server
// (no tokens) the body must name someone: "anonymous" helps nobody who
// later wonders who muted the pager.
func whoIs(r *http.Request, given, field string) (string, error) {
	if strings.TrimSpace(given) != "" {
		return given, nil
	}
	if p := principalOf(r).name; p != "" && p != Anonymous {
		return p, nil
	}
	return "", fmt.Errorf("%s: say who you are (the server has no token name to use)", field)
}

// silenceAuditJSON is a silence as the audit log keeps it.
func (s *Server) silenceAuditJSON(sil alert.Silence) []byte {
	b, err := json.Marshal(toSilenceJSON(sil, s.now()))
	if err != nil {
		s.log.Error("audit: encode silence", "id", sil.ID, "err", err)
		return nil
	}
	return b
}

// audit records an alert API action, by the request's principal, in the
// audit log. The action has taken effect already, so a failure to record
// it is logged as an error rather than turned into a failed request.
func (s *Server) audit(r *http.Request, e store.AuditEntry) {
	e.Actor = principalOf(r).name
	if e.Actor == "" {
		e.Actor = Anonymous
	}
	if err := s.opts.Engine.Store().AppendAudit(r.Context(), e); err != nil {
		s.log.Error("audit log write failed", "action", e.Action, "target", e.Target, "actor", e.Actor, "err", err)
	}
}

// listSilences serves GET /api/v1/silences?state=active|pending|expired.
func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) {
	state := alert.SilenceState(r.URL.Query().Get("state"))
	switch state {
	case "", alert.SilenceActive, alert.SilencePending, alert.SilenceExpired:
	default:
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("invalid state %q (use active, pending or expired)", state))
		return
	}
	now := s.now()
	sils := s.opts.Engine.Alerts().Silences(state)
	out := make([]silenceJSON, len(sils))
	for i, sil := range sils {
		out[i] = toSilenceJSON(sil, now)
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"silences": out}})
}

// getSilence serves GET /api/v1/silences/{id}.
func (s *Server) getSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sil, ok := s.opts.Engine.Alerts().Silence(id)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", fmt.Errorf("%w: %s", alert.ErrSilenceNotFound, id))
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"silence": toSilenceJSON(sil, s.now())}})
}

// deleteSilence serves DELETE /api/v1/silences/{id}: it expires the
// silence now (it stays listed as expired for the retention).
func (s *Server) deleteSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	mgr := s.opts.Engine.Alerts()
	if err := mgr.ExpireSilence(r.Context(), id); err != nil {
		s.writeAlertError(w, "expire silence", err)
		return
	}
	var after []byte
	if sil, ok := mgr.Silence(id); ok {
		after = s.silenceAuditJSON(sil)
	}
	s.audit(r, store.AuditEntry{Action: auditSilenceExpire, Target: id, After: after})
	writeJSON(w, http.StatusOK, apiResponse{Status: "success"})
}

// ackBody is the body of POST /api/v1/alerts/{fingerprint}/ack.
type ackBody struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
}

// ackAlert serves POST /api/v1/alerts/{fingerprint}/ack: someone takes the
// alert, which stops its escalation.
func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) {
	fp, err := parseFingerprint(r.PathValue("fingerprint"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var b ackBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", fmt.Errorf("invalid JSON: %w", err))
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "bad_data", errors.New("invalid JSON: unexpected data after the object"))
		return
	}
	if b.By, err = whoIs(r, b.By, "by"); err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	if err := s.opts.Engine.Alerts().Acknowledge(r.Context(), fp, b.By, b.Comment); err != nil {
		s.writeAlertError(w, "acknowledge alert", err)
		return
	}
	after, _ := json.Marshal(b) // two strings: cannot fail
	s.audit(r, store.AuditEntry{Action: auditAlertAck, Target: fp.String(), After: after})
	writeJSON(w, http.StatusOK, apiResponse{Status: "success"})
}

// parseFingerprint reads the 16 hex digits of an alert fingerprint.
func parseFingerprint(s string) (alert.Fingerprint, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || len(s) != 16 {
		return 0, fmt.Errorf("invalid fingerprint %q: want 16 hex digits, as listed by GET /api/v1/alerts", s)
	}
	return alert.Fingerprint(v), nil
}

// notificationJSON is a notification history record as the API shows it.
type notificationJSON struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Receiver    string    `json:"receiver"`
	Integration string    `json:"integration"`
	GroupKey    string    `json:"groupKey"`
	Status      string    `json:"status"`
	Firing      []string  `json:"firing"`
	Resolved    []string  `json:"resolved"`
	Attempts    int       `json:"attempts"`
	Error       string    `json:"error,omitempty"`
	Escalation  bool      `json:"escalation,omitempty"`
}

func fingerprintStrings(fps []alert.Fingerprint) []string {
	out := make([]string, len(fps))
	for i, fp := range fps {
		out[i] = fp.String()
	}
	return out
}

// parseNotificationFilter reads the query of GET /api/v1/notifications.
func parseNotificationFilter(r *http.Request) (alert.NotificationFilter, error) {
	q := r.URL.Query()
	var f alert.NotificationFilter
	var err error
	if f.From, err = parseTime(q.Get("from")); err != nil {
		return f, fmt.Errorf("from: %w", err)
	}
	if f.To, err = parseTime(q.Get("to")); err != nil {
		return f, fmt.Errorf("to: %w", err)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, errors.New("to is before from")
	}
	f.Receiver, f.GroupKey, f.Status = q.Get("receiver"), q.Get("group"), q.Get("status")
	switch f.Status {
	case "", alert.NotificationSent, alert.NotificationFailed, alert.NotificationDropped:
	default:
		return f, fmt.Errorf("invalid status %q (use %s, %s or %s)", f.Status, alert.NotificationSent, alert.NotificationFailed, alert.NotificationDropped)
	}
	f.Limit, err = queryLimit(q, defaultNotificationLimit, maxNotificationLimit)
	return f, err
}

// listNotifications serves GET /api/v1/notifications?from&to&receiver&group&status&limit:
// the notification history, newest first.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	f, err := parseNotificationFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	recs, err := s.opts.Engine.Alerts().Notifications(r.Context(), f)
	if err != nil {
		s.internalError(w, "list notifications", err)
		return
	}
	out := make([]notificationJSON, len(recs))
	for i, rec := range recs {
		out[i] = notificationJSON{
			ID: rec.ID, Time: rec.Time.UTC(), Receiver: rec.Receiver, Integration: rec.Integration,
			GroupKey: rec.GroupKey, Status: rec.Status, Firing: fingerprintStrings(rec.Firing),
			Resolved: fingerprintStrings(rec.Resolved), Attempts: rec.Attempts, Error: rec.Error,
			Escalation: rec.Escalation,
		}
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"notifications": out}})
}

// writeAlertError answers an error of the alert manager with the status
// its kind calls for: the caller's mistake (400, 404, 409) or ours (500).
func (s *Server) writeAlertError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, alert.ErrInvalidSilence):
		writeError(w, http.StatusBadRequest, "bad_data", err)
	case errors.Is(err, alert.ErrSilenceNotFound), errors.Is(err, alert.ErrAlertNotFound):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, alert.ErrSilenceExpired):
		writeError(w, http.StatusConflict, "conflict", err)
	default:
		s.internalError(w, what, err)
	}
}

// now is the engine's clock, which the Manager judges silence states by.
func (s *Server) now() time.Time { return s.opts.Engine.Now() }
