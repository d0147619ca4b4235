package alert

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/seismo-dev/seismo/config/field"
)

// smtpPeer is an in-process SMTP server (emersion/go-smtp) that keeps the
// mails it accepts. It offers STARTTLS with a self-signed certificate when
// tls is set, and authentication (PLAIN, LOGIN, CRAM-MD5) when users is.
type smtpPeer struct {
	addr   string
	caFile string // the certificate to trust, for tls_config.ca_file

	mu     sync.Mutex
	mails  []receivedMail
	authed []string // mechanism:user of each successful AUTH
	// identities are the authorization identities of successful PLAIN
	// authentications.
	identities []string
	rcptErr    []error // answers to the next RCPT commands, then accept
	dataErr    []error // answers to the next DATA commands, then accept
	users      map[string]string
	mechs      []string
	sessions   int
}

type receivedMail struct {
	from string
	to   []string
	data []byte
}

type smtpPeerOptions struct {
	tls      bool // STARTTLS
	implicit bool // TLS from the first byte
	mechs    []string
	users    map[string]string
}

func startSMTP(t *testing.T, o smtpPeerOptions) *smtpPeer {
	t.Helper()
	p := &smtpPeer{users: o.users, mechs: o.mechs}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		p.mu.Lock()
		p.sessions++
		p.mu.Unlock()
		s := &smtpSession{peer: p}
		if len(p.mechs) > 0 {
			return &smtpAuthSession{smtpSession: s}, nil
		}
		return s, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = quietSMTPLog{}
	var l net.Listener
	var err error
	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls || o.implicit {
		cert, caFile := selfSignedCert(t)
		p.caFile = caFile
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if o.implicit {
			l = tls.NewListener(l, tc)
		} else {
			srv.TLSConfig = tc
		}
	}
	p.addr = l.Addr().String()
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return p
}

type quietSMTPLog struct{}

func (quietSMTPLog) Printf(string, ...any) {}
func (quietSMTPLog) Println(...any)        {}

func (p *smtpPeer) received() []receivedMail {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receivedMail(nil), p.mails...)
}

func (p *smtpPeer) next(q *[]error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(*q) == 0 {
		return nil
	}
	err := (*q)[0]
	*q = (*q)[1:]
	return err
}

type smtpSession struct {
	peer *smtpPeer
	user string
	from string
	to   []string
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.peer.mechs) > 0 && s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.peer.next(&s.peer.rcptErr); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.peer.next(&s.peer.dataErr); err != nil {
		return err
	}
	s.peer.mu.Lock()
	s.peer.mails = append(s.peer.mails, receivedMail{from: s.from, to: s.to, data: b})
	s.peer.mu.Unlock()
	return nil
}

type smtpAuthSession struct{ *smtpSession }

func (s *smtpAuthSession) AuthMechanisms() []string { return s.peer.mechs }

func (s *smtpAuthSession) Auth(mech string) (sasl.Server, error) {
	ok := func(user string) {
		s.user = user
		s.peer.mu.Lock()
		s.peer.authed = append(s.peer.authed, mech+":"+user)
		s.peer.mu.Unlock()
	}
	bad := &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if want, found := s.peer.users[user]; !found || want != pass {
				return bad
			}
			ok(user)
			s.peer.mu.Lock()
			s.peer.identities = append(s.peer.identities, identity)
			s.peer.mu.Unlock()
			return nil
		}), nil
	case sasl.Login:
		return &loginServer{check: func(user, pass string) error {
			if want, found := s.peer.users[user]; !found || want != pass {
				return bad
			}
			ok(user)
			return nil
		}}, nil
	case "CRAM-MD5":
		return &cramMD5Server{challenge: "<1896.697170952@mx.test>", check: func(user string, digest []byte, challenge string) error {
			secret, found := s.peer.users[user]
			mac := hmac.New(md5.New, []byte(secret))
			mac.Write([]byte(challenge))
			if !found || !hmac.Equal(mac.Sum(nil), digest) {
				return bad
			}
			ok(user)
			return nil
		}}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

// loginServer is the server side of the LOGIN mechanism (a username and
// a password, each asked for).
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough // an initial response is the username
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

// cramMD5Server is the server side of CRAM-MD5 (RFC 2195): a challenge,
// answered by "user hex(HMAC-MD5(secret, challenge))".
type cramMD5Server struct {
	challenge string
	sent      bool
	check     func(user string, digest []byte, challenge string) error
}

func (c *cramMD5Server) Next(resp []byte) ([]byte, bool, error) {
	if !c.sent {
		c.sent = true
		return []byte(c.challenge), false, nil
	}
	user, hexDigest, found := strings.Cut(string(resp), " ")
	digest, err := hex.DecodeString(hexDigest)
	if !found || err != nil {
		return nil, true, errors.New("malformed CRAM-MD5 response")
	}
	return nil, true, c.check(user, digest, c.challenge)
}

// selfSignedCert makes a certificate for 127.0.0.1 and writes it to a PEM
// file for tls_config.ca_file.
func selfSignedCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mx.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, caFile
}

// testPNG is a small PNG, the chart the tests' ChartFunc draws.
func testPNG(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// emailConfig is an e-mail integration sending to p, defaults applied.
func emailConfig(p *smtpPeer, edit func(*EmailConfig)) EmailConfig {
	c := EmailConfig{
		To: AddressList{"ops@bank.test", "Oncall <oncall@bank.test>"}, From: "Seismo <seismo@bank.test>",
		Smarthost: p.addr, Timezone: "UTC", Timeout: field.Duration(5 * time.Second),
	}
	if p.caFile != "" {
		c.TLSConfig.CAFile = p.caFile
	} else {
		f := false
		c.RequireTLS = &f
	}
	if edit != nil {
		edit(&c)
	}
	rc := ReceiverConfig{Name: "ops", EmailConfigs: []EmailConfig{c}}
	rc.applyDefaults(&GlobalConfig{})
	return rc.EmailConfigs[0]
}

// mailPart is a leaf of a parsed MIME message.
type mailPart struct {
	header    map[string][]string
	mediaType string
	body      []byte
}

// parseMail parses a received mail into its headers and leaf parts,
// decoding transfer encodings, and records the multipart structure as
// "multipart/related(multipart/alternative(text/plain,text/html),image/png)".
func parseMail(t *testing.T, raw []byte) (*mail.Message, []mailPart, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail: %v\n%s", err, raw)
	}
	var parts []mailPart
	var walk func(h map[string][]string, body io.Reader) string
	walk = func(h map[string][]string, body io.Reader) string {
		ct := firstHeader(h, "Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("Content-Type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			var kids []string
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				kids = append(kids, walk(p.Header, p))
			}
			return mt + "(" + strings.Join(kids, ",") + ")"
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		switch strings.ToLower(firstHeader(h, "Content-Transfer-Encoding")) {
		case "base64":
			b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
		case "quoted-printable":
			b, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		}
		if err != nil {
			t.Fatalf("decode %s part: %v", mt, err)
		}
		parts = append(parts, mailPart{header: h, mediaType: mt, body: b})
		return mt
	}
	structure := walk(msg.Header, msg.Body)
	return msg, parts, structure
}

func firstHeader(h map[string][]string, k string) string {
	for name, v := range h {
		if strings.EqualFold(name, k) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func partOf(parts []mailPart, mediaType string) *mailPart {
	for i := range parts {
		if parts[i].mediaType == mediaType {
			return &parts[i]
		}
	}
	return nil
}

func TestEmailSTARTTLSWithAuthAndInlineChart(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		t.Run(mech, func(t *testing.T) {
			p := startSMTP(t, smtpPeerOptions{tls: true, mechs: []string{mech}, users: map[string]string{"seismo": "s3cret"}})
			cfg := emailConfig(p, func(c *EmailConfig) {
				c.AuthUsername = "seismo"
				if mech == "CRAM-MD5" {
					c.AuthSecret = literal("s3cret")
				} else {
					c.AuthPassword = literal("s3cret")
					c.AuthMechanism = strings.ToLower(mech)
				}
			})
			e, err := NewEmail(cfg, nil, quietLogger)
			if err != nil {
				t.Fatal(err)
			}
			msg := fixedMessage()
			chart := testPNG(t, color.RGBA{200, 40, 40, 255})
			var drawn []string
			msg.charts = func(_ context.Context, a *Alert) ([]byte, error) {
				drawn = append(drawn, a.Labels.Get("channel"))
				return chart, nil
			}
			if retry, err := e.Notify(t.Context(), msg); err != nil {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			if got := strings.Join(drawn, ","); got != "app,web" {
				t.Errorf("charts drawn for %s, want the firing alerts app,web", got)
			}
			p.mu.Lock()
			authed := strings.Join(p.authed, " ")
			p.mu.Unlock()
			if authed != mech+":seismo" {
				t.Errorf("authenticated as %q, want %s:seismo", authed, mech)
			}
			mails := p.received()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want 1", len(mails))
			}
			m := mails[0]
			if m.from != "seismo@bank.test" || strings.Join(m.to, ",") != "ops@bank.test,oncall@bank.test" {
				t.Errorf("envelope from %s to %v", m.from, m.to)
			}
			checkAlertMail(t, m.data, chart, 2)
		})
	}
}

// checkAlertMail checks the headers and the parts of the mail of
// fixedMessage with nCharts inline charts.
func checkAlertMail(t *testing.T, raw, chart []byte, nCharts int) {
	t.Helper()
	msg, parts, structure := parseMail(t, raw)
	h := msg.Header
	if got := h.Get("Subject"); got != `[FIRING:2] accounts (account_openings)` {
		t.Errorf("Subject = %q", got)
	}
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "seismo@bank.test" || from.Name != "Seismo" {
		t.Errorf("From = %q", h.Get("From"))
	}
	if to, err := mail.ParseAddressList(h.Get("To")); err != nil || len(to) != 2 {
		t.Errorf("To = %q", h.Get("To"))
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") {
		t.Errorf("Message-ID = %q", id)
	}
	if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "Seismo/") {
		t.Errorf("User-Agent = %q", ua)
	}
	wantStructure := "multipart/alternative(text/plain,text/html)"
	if nCharts > 0 {
		wantStructure = "multipart/related(" + wantStructure + strings.Repeat(",image/png", nCharts) + ")"
	}
	if structure != wantStructure {
		t.Errorf("structure %s, want %s", structure, wantStructure)
	}
	text, html := partOf(parts, "text/plain"), partOf(parts, "text/html")
	if text == nil || html == nil {
		t.Fatalf("parts %s", structure)
	}
	for _, want := range []string{"Firing (2):", "Resolved (1):", "value 3, expected 40", "channel=branch", "since 2025-03-03 09:30:00 UTC"} {
		if !bytes.Contains(text.body, []byte(want)) {
			t.Errorf("text part lacks %q:\n%s", want, text.body)
		}
	}
	if !bytes.Contains(html.body, []byte("<!DOCTYPE html>")) || !bytes.Contains(html.body, []byte("openings are off")) {
		t.Errorf("html part:\n%s", html.body)
	}
	// Each inline image is referenced from the HTML by its Content-ID.
	n := 0
	for _, p := range parts {
		if p.mediaType != "image/png" {
			continue
		}
		n++
		cid := strings.Trim(firstHeader(p.header, "Content-Id"), "<>")
		if cid == "" || !bytes.Contains(html.body, []byte(`src="cid:`+cid+`"`)) {
			t.Errorf("image Content-ID %q is not shown by the HTML", cid)
		}
		if disp := firstHeader(p.header, "Content-Disposition"); !strings.HasPrefix(disp, "inline") {
			t.Errorf("image disposition %q, want inline", disp)
		}
		if !bytes.Equal(p.body, chart) {
			t.Errorf("image bytes differ from the chart")
		}
	}
	if n != nCharts {
		t.Errorf("%d images, want %d", n, nCharts)
	}
}

func TestEmailImplicitTLSWithoutCharts(t *testing.T) {
	p := startSMTP(t, smtpPeerOptions{implicit: true})
	port := p.addr[strings.LastIndexByte(p.addr, ':')+1:]
	cfg := emailConfig(p, func(c *EmailConfig) { tr := true; c.ImplicitTLS = &tr })
	if port == "465" {
		t.Skip("the free port is 465")
	}
	e, err := NewEmail(cfg, nil, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Notify(t.Context(), fixedMessage()); err != nil { // no ChartFunc: no images
		t.Fatal(err)
	}
	mails := p.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	checkAlertMail(t, mails[0].data, nil, 0)
}

func TestEmailTLSPolicies(t *testing.T) {
	t.Run("STARTTLS required, server without it", func(t *testing.T) {
		p := startSMTP(t, smtpPeerOptions{})
		cfg := emailConfig(p, func(c *EmailConfig) { c.RequireTLS = nil })
		e, err := NewEmail(cfg, nil, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		retry, err := e.Notify(t.Context(), fixedMessage())
		if err == nil || retry {
			t.Fatalf("Notify = %v, %v; want a permanent error", retry, err)
		}
		if len(p.received()) != 0 {
			t.Error("a mail went out in clear text")
		}
	})
	t.Run("opportunistic, server without STARTTLS", func(t *testing.T) {
		p := startSMTP(t, smtpPeerOptions{})
		e, err := NewEmail(emailConfig(p, nil), nil, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Notify(t.Context(), fixedMessage()); err != nil || len(p.received()) != 1 {
			t.Fatalf("Notify: %v; %d mails", err, len(p.received()))
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		p := startSMTP(t, smtpPeerOptions{tls: true})
		cfg := emailConfig(p, func(c *EmailConfig) { c.TLSConfig.CAFile = "" })
		e, err := NewEmail(cfg, nil, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Notify(t.Context(), fixedMessage()); err == nil || len(p.received()) != 0 {
			t.Fatalf("a self-signed certificate was trusted without ca_file: %v", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		p := startSMTP(t, smtpPeerOptions{tls: true, mechs: []string{"PLAIN"}, users: map[string]string{"seismo": "right"}})
		cfg := emailConfig(p, func(c *EmailConfig) { c.AuthUsername, c.AuthPassword = "seismo", literal("wrong") })
		e, err := NewEmail(cfg, nil, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		retry, err := e.Notify(t.Context(), fixedMessage())
		if err == nil || retry || !strings.Contains(err.Error(), "535") {
			t.Fatalf("Notify = %v, %v; want a permanent 535", retry, err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
}

func TestEmailServerRejections(t *testing.T) {
	tests := []struct {
		name      string
		rcpt      error
		data      error
		wantRetry bool
	}{
		{"550 unknown recipient", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}, nil, false},
		{"451 try later", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}, nil, true},
		{"552 message refused", nil, &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}, false},
		{"421 at DATA", nil, &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient storage"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startSMTP(t, smtpPeerOptions{})
			if tt.rcpt != nil {
				p.rcptErr = []error{tt.rcpt}
			}
			if tt.data != nil {
				p.dataErr = []error{tt.data}
			}
			e, err := NewEmail(emailConfig(p, nil), nil, quietLogger)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := e.Notify(t.Context(), fixedMessage())
			if err == nil || retry != tt.wantRetry {
				t.Fatalf("Notify = %v, %v; want retry=%v", retry, err, tt.wantRetry)
			}
		})
	}
}

// TestManagerEmailRetries4xxDrops5xx runs the delivery stage against the
// SMTP peer: a 4xx is tried again and arrives, a 5xx is dropped after
// one attempt and counted.
func TestManagerEmailRetries4xxDrops5xx(t *testing.T) {
	temp := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	perm := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	for _, tt := range []struct {
		name         string
		rcpt         []error
		wantStatus   string
		wantAttempts int
		wantMails    int
	}{
		{"4xx twice", []error{temp, temp}, NotificationSent, 3, 1},
		{"5xx", []error{perm}, NotificationDropped, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startSMTP(t, smtpPeerOptions{})
			p.rcptErr = tt.rcpt
			one := emailConfig(p, func(c *EmailConfig) { c.To = AddressList{"ops@bank.test"} })
			m := deliveryManager(t, ReceiverConfig{Name: "ops", EmailConfigs: []EmailConfig{one}})
			in := m.receivers["ops"][0]
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			res := m.send(ctx, in, fixedMessage())
			if res.Status != tt.wantStatus || res.Attempts != tt.wantAttempts {
				t.Errorf("send = %s after %d attempts (%v); want %s after %d", res.Status, res.Attempts, res.Err, tt.wantStatus, tt.wantAttempts)
			}
			if n := len(p.received()); n != tt.wantMails {
				t.Errorf("%d mails, want %d", n, tt.wantMails)
			}
		})
	}
}

// TestManagerChartsReachTheMail: the engine's ChartFunc, given to the
// Manager, draws the charts a mail embeds.
func TestManagerChartsReachTheMail(t *testing.T) {
	p := startSMTP(t, smtpPeerOptions{})
	chart := testPNG(t, color.RGBA{10, 120, 10, 255})
	cfg := Config{Route: Route{Receiver: "ops"}, Receivers: []ReceiverConfig{{Name: "ops", EmailConfigs: []EmailConfig{emailConfig(p, nil)}}}}
	m, err := NewManager(cfg, Options{Logger: quietLogger, Charts: func(context.Context, *Alert) ([]byte, error) { return chart, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if res := m.send(ctx, m.receivers["ops"][0], fixedMessage()); res.Status != NotificationSent {
		t.Fatalf("send = %+v", res)
	}
	mails := p.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	checkAlertMail(t, mails[0].data, chart, 2)
}
