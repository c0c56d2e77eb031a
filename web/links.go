package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quitabot/quita/bot"
)

// linkStates are every state a link gauge reports, so a dashboard sees a
// state go to 0 as well as to 1.
var linkStates = []string{bot.LinkConnecting, bot.LinkConnected, bot.LinkQRNeeded, bot.LinkLoggedOut, bot.LinkStreamReplaced,
	bot.LinkTemporaryBan, bot.LinkClientOutdated, bot.LinkReachOutTimelock, bot.LinkPhoneOffline, bot.LinkDisconnected, bot.LinkStandby}

var linkDesc = prometheus.NewDesc("quita_transport_link_state",
	"1 for the current state of each transport connection (a linked WhatsApp number, a Cloud API number), 0 for the others.",
	[]string{"transport", "state"}, nil)

type linkCollector struct{ links func() []bot.LinkState }

func (l linkCollector) Describe(ch chan<- *prometheus.Desc) { ch <- linkDesc }

func (l linkCollector) Collect(ch chan<- prometheus.Metric) {
	for _, link := range l.links() {
		for _, st := range linkStates {
			v := 0.0
			if st == link.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(linkDesc, prometheus.GaugeValue, v, link.Transport, st)
		}
	}
}

// RegisterLinks exports the transports' link states as a gauge.
func (m *Metrics) RegisterLinks(links func() []bot.LinkState) {
	m.Registry.MustRegister(linkCollector{links: links})
}

// linkDetail is a link as /readyz reports it: no QR payload, no pairing
// code (readyz is anonymous).
type linkDetail struct {
	Transport string `json:"transport"`
	State     string `json:"state"`
	Healthy   bool   `json:"healthy"`
	Detail    string `json:"detail"`
	Since     string `json:"since"`
	Until     string `json:"until,omitempty"`
}

// linkChecks describes each link for /readyz. A broken WhatsApp link does
// not make the instance unready: the API, the simulator and the console
// still serve, and the detail tells the operator what to do.
func (s *server) linkChecks() []linkDetail {
	if s.Links == nil {
		return nil
	}
	var out []linkDetail
	for _, l := range s.Links.Links() {
		d := linkDetail{Transport: l.Transport, State: l.State, Healthy: l.Healthy(), Detail: l.Detail,
			Since: l.Since.In(s.Location).Format("2006-01-02T15:04:05Z07:00")}
		if !l.Until.IsZero() {
			d.Until = l.Until.In(s.Location).Format("2006-01-02T15:04:05Z07:00")
		}
		out = append(out, d)
	}
	return out
}

// cloudRoutes registers the WhatsApp Cloud API webhook: Meta's GET
// subscription check and the signed POST of messages and statuses.
func (s *server) cloudRoutes(v1 fiber.Router) {
	if s.Cloud == nil {
		return
	}
	v1.Get("/webhooks/whatsapp", func(c *fiber.Ctx) error {
		answer, ok := s.Cloud.VerifyChallenge(c.Query("hub.mode"), c.Query("hub.verify_token"), c.Query("hub.challenge"))
		if !ok {
			return bot.Errorf(bot.CodeForbidden, "the verify token does not match QUITA_CLOUDAPI_VERIFY_TOKEN")
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.SendString(answer)
	})
	v1.Post("/webhooks/whatsapp", withBody, func(c *fiber.Ctx) error {
		// fiber reuses its buffers: the signature is checked over a copy.
		body := append([]byte(nil), c.Body()...)
		if err := s.Cloud.HandleWebhook(c.UserContext(), body, c.Get("X-Hub-Signature-256")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusOK)
	})
}
