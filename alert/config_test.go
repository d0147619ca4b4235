package alert

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seismo-dev/seismo/config/field"
)

func boolPtr(b bool) *bool { return &b }

func literal(s string) field.Secret {
	sec := field.Secret{Literal: s}
	_ = sec.Resolve("")
	return sec
}

func TestApplyDefaults(t *testing.T) {
	t.Run("empty gets a console receiver", func(t *testing.T) {
		var c Config
		c.ApplyDefaults()
		want := Config{
			Global:         GlobalConfig{SMTPHello: "localhost", SMTPRequireTLS: boolPtr(true)},
			ResolveTimeout: field.Duration(5 * time.Minute),
			Route: Route{
				Receiver:       "console",
				GroupWait:      field.Duration(10 * time.Second),
				GroupInterval:  field.Duration(time.Minute),
				RepeatInterval: field.Duration(4 * time.Hour),
			},
			Receivers:             []ReceiverConfig{{Name: "console", LogConfigs: []LogConfig{{Level: "info"}}}},
			SilenceRetention:      field.Duration(5 * 24 * time.Hour),
			NotificationRetention: field.Duration(14 * 24 * time.Hour),
		}
		if diff := cmp.Diff(want, c, cmpopts.IgnoreUnexported(Route{}), cmpopts.EquateComparable(field.Secret{}, amOnly{})); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("defaults do not validate: %v", err)
		}
	})
	t.Run("set values are kept", func(t *testing.T) {
		c := Config{
			ResolveTimeout:        field.Duration(time.Hour),
			NotificationRetention: field.Duration(90 * 24 * time.Hour),
			Route:                 Route{Receiver: "ops", GroupWait: field.Duration(time.Second)},
			Receivers: []ReceiverConfig{{Name: "ops", WebhookConfigs: []WebhookConfig{
				{URL: literal("http://a"), Timeout: field.Duration(time.Second), SendResolved: boolPtr(false)},
				{URL: literal("http://b")},
			}}},
		}
		c.ApplyDefaults()
		if c.ResolveTimeout.Std() != time.Hour || c.Route.GroupWait.Std() != time.Second || c.Route.GroupInterval.Std() != time.Minute ||
			c.NotificationRetention.Std() != 90*24*time.Hour {
			t.Errorf("durations: %+v", c)
		}
		if len(c.Receivers) != 1 {
			t.Errorf("a console receiver was added next to a configured one")
		}
		w := c.Receivers[0].WebhookConfigs
		if w[0].Timeout.Std() != time.Second || *w[0].SendResolved || w[1].Timeout.Std() != 10*time.Second || !*w[1].SendResolved {
			t.Errorf("webhook defaults: %+v / %+v", w[0], w[1])
		}
	})
}

func TestValidate(t *testing.T) {
	valid := func() Config {
		c := Config{
			Route: Route{Receiver: "ops", GroupBy: []string{"alertname", "team"}},
			Receivers: []ReceiverConfig{
				{Name: "ops", WebhookConfigs: []WebhookConfig{{URL: literal("https://hooks.example.com/x?token=s3cr3t")}}},
				{Name: "console", LogConfigs: []LogConfig{{Level: "warn"}}},
			},
		}
		c.ApplyDefaults()
		return c
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // paths with errors
	}{
		{"valid", func(*Config) {}, nil},
		{"group by all", func(c *Config) { c.Route.GroupBy = []string{"..."} }, nil},
		{"unset env secret is left to the loader", func(c *Config) {
			c.Receivers[0].WebhookConfigs[0].URL = field.FromEnv("SEISMO_TEST_UNSET")
		}, nil},
		{"missing route receiver", func(c *Config) { c.Route.Receiver = "" }, []string{"route.receiver"}},
		{"unknown route receiver", func(c *Config) { c.Route.Receiver = "pager" }, []string{"route.receiver"}},
		{"empty name", func(c *Config) { c.Receivers[1].Name = "" }, []string{"receivers[1].name"}},
		{"duplicate name", func(c *Config) { c.Receivers[1].Name = "ops" }, []string{"receivers[1].name"}},
		{"bad level", func(c *Config) { c.Receivers[1].LogConfigs[0].Level = "loud" }, []string{"receivers[1].log_configs[0].level"}},
		{"no url", func(c *Config) { c.Receivers[0].WebhookConfigs[0].URL = field.Secret{} }, []string{"receivers[0].webhook_configs[0].url"}},
		{"ftp url", func(c *Config) { c.Receivers[0].WebhookConfigs[0].URL = literal("ftp://x/s3cr3t") }, []string{"receivers[0].webhook_configs[0].url"}},
		{"relative url", func(c *Config) { c.Receivers[0].WebhookConfigs[0].URL = literal("/hook/s3cr3t") }, []string{"receivers[0].webhook_configs[0].url"}},
		{"unparsable url", func(c *Config) { c.Receivers[0].WebhookConfigs[0].URL = literal("http://s3cr3t:%zz@x") }, []string{"receivers[0].webhook_configs[0].url"}},
		{"negative max_alerts", func(c *Config) { c.Receivers[0].WebhookConfigs[0].MaxAlerts = -1 }, []string{"receivers[0].webhook_configs[0].max_alerts"}},
		{"bad group_by", func(c *Config) { c.Route.GroupBy = []string{"team", "1x", "team", "..."} }, []string{"route.group_by[1]", "route.group_by[2]", "route.group_by[3]"}},
		{"negative durations", func(c *Config) {
			c.ResolveTimeout, c.Route.GroupWait, c.Route.GroupInterval, c.Route.RepeatInterval = -1, -1, -1, -1
		}, []string{"resolve_timeout", "route.group_interval", "route.group_wait", "route.repeat_interval"}},
		{"several at once", func(c *Config) {
			c.Receivers[0].Name = ""
			c.Receivers[1].WebhookConfigs = []WebhookConfig{{URL: literal("http://ok")}, {URL: literal("mailto:x")}}
		}, []string{"receivers[0].name", "receivers[1].webhook_configs[1].url", "route.receiver"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.modify(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				var list field.List
				if !errors.As(err, &list) {
					t.Fatalf("error %T is not a field.List: %v", err, err)
				}
				for _, e := range list {
					got = append(got, e.Path)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error reveals the secret URL: %v", err)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error paths (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}
