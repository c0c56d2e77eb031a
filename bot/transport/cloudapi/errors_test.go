package cloudapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
)

// TestGraphErrorMapping sends a message against a Graph API that fails in
// each documented way and checks how the failure is classified, whether
// the outbox will retry it, what the operator reads and the link state.
func TestGraphErrorMapping(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		reply     string
		kind      Kind
		retryable bool
		says      string // in the error text
		link      string // link state afterwards
	}{
		{"app rate limit", 429, `{"error":{"message":"(#4) Application request limit reached","code":4}}`,
			KindRateLimited, true, "rate limited", bot.LinkConnected},
		{"WABA rate limit", 400, `{"error":{"message":"Rate limit hit","code":80007}}`,
			KindRateLimited, true, "rate limited", bot.LinkConnected},
		{"throughput", 400, `{"error":{"message":"Rate limit hit","code":130429}}`,
			KindRateLimited, true, "rate limited", bot.LinkConnected},
		{"spam rate limit", 400, `{"error":{"message":"Spam rate limit hit","code":131048}}`,
			KindRateLimited, true, "rate limited", bot.LinkConnected},
		{"pair rate limit", 400, `{"error":{"message":"Pair rate limit hit","code":131056}}`,
			KindRateLimited, true, "rate limited", bot.LinkConnected},
		{"429 without a body", 429, ``, KindRateLimited, true, "Too Many Requests", bot.LinkConnected},
		{"re-engagement", 400, `{"error":{"message":"(#131047) Re-engagement message","code":131047}}`,
			KindWindowClosed, false, "24-hour customer-service window is closed", bot.LinkConnected},
		{"undeliverable", 400, `{"error":{"message":"Message Undeliverable.","code":131026}}`,
			KindInvalidNumber, false, "invalid number", bot.LinkConnected},
		{"not in the allowed list", 400, `{"error":{"message":"(#131030) Recipient phone number not in allowed list","code":131030}}`,
			KindInvalidNumber, false, "invalid number: the recipient is not in the test number's allowed list", bot.LinkConnected},
		{"invalid recipient parameter", 400, `{"error":{"message":"(#100) Invalid parameter","code":100,"error_data":{"messaging_product":"whatsapp","details":"Invalid parameter 'to'"}}}`,
			KindInvalidNumber, false, "invalid number", bot.LinkConnected},
		{"another invalid parameter", 400, `{"error":{"message":"(#100) Invalid parameter","code":100,"error_data":{"details":"Param text['body'] must be at most 4096 characters long."}}}`,
			KindRejected, false, "refused the request (HTTP 400)", bot.LinkConnected},
		{"unknown phone number id", 400, `{"error":{"message":"Unsupported post request. Object with ID '1065403522' does not exist","code":100,"error_subcode":33}}`,
			KindConfig, false, "phone number id is unknown", bot.LinkDisconnected},
		{"token expired", 401, `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`,
			KindAuth, true, "access token expired or was revoked: create a new one", bot.LinkDisconnected},
		{"missing permission", 403, `{"error":{"message":"(#10) Application does not have permission for this action","code":10}}`,
			KindAuth, false, "lacks permission", bot.LinkDisconnected},
		{"template missing", 404, `{"error":{"message":"(#132001) Template name does not exist in the translation","code":132001}}`,
			KindTemplate, false, "template was refused", bot.LinkConnected},
		{"generic Meta failure", 500, `{"error":{"message":"(#131000) Something went wrong","code":131000}}`,
			KindServer, true, "will retry", bot.LinkDisconnected},
		{"gateway page", 502, `<html>Bad Gateway</html>`, KindServer, true, "HTTP 502", bot.LinkDisconnected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.graph.expect(call{method: "POST", path: messagesPath, body: textBody("Olá"), status: tc.status, reply: tc.reply})
			_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"})
			var ge *GraphError
			if !errors.As(err, &ge) {
				t.Fatalf("Send error = %v, want a *GraphError", err)
			}
			if ge.Kind != tc.kind || ge.Retryable != tc.retryable || ge.Status != tc.status {
				t.Errorf("classified %s/retryable=%v/status %d, want %s/%v/%d", ge.Kind, ge.Retryable, ge.Status, tc.kind, tc.retryable, tc.status)
			}
			var retry *bot.RetryableError
			if errors.As(err, &retry) != tc.retryable {
				t.Errorf("bot.Retryable wrapping = %v, want %v", !tc.retryable, tc.retryable)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			if got := e.tr.Links()[0].State; got != tc.link {
				t.Errorf("link state = %s, want %s", got, tc.link)
			}
		})
	}
}

func TestGraphErrorCarriesTheCodes(t *testing.T) {
	ge := classify(400, []byte(`{"error":{"message":"m","code":131047,"error_subcode":2494010,"fbtrace_id":"AbC","error_data":{"details":"d"}}}`))
	want := GraphError{Status: 400, Code: 131047, Subcode: 2494010, Message: "m", Details: "d", TraceID: "AbC", Kind: KindWindowClosed}
	if *ge != want {
		t.Fatalf("classify = %+v, want %+v", *ge, want)
	}
	if s := ge.Error(); !strings.HasSuffix(s, ": m (d) [code 131047/2494010]") {
		t.Errorf("Error() = %q", s)
	}
}

func TestNetworkFailureIsRetryableAndDisconnects(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // nothing listens at its address any more
	e := newEnv(t, func(c *Config) { c.BaseURL = dead.URL })
	_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"})
	var ge *GraphError
	var retry *bot.RetryableError
	if !errors.As(err, &ge) || ge.Kind != KindNetwork || !errors.As(err, &retry) {
		t.Fatalf("Send error = %v, want a retryable network GraphError", err)
	}
	link := e.tr.Links()[0]
	if link.State != bot.LinkDisconnected || !strings.Contains(link.Detail, "retried") {
		t.Errorf("link = %+v, want disconnected saying messages are retried", link)
	}
}

func TestLinkStateFollowsCalls(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Number = "+15550783881" })
	if l := e.tr.Links(); len(l) != 1 || l[0].State != bot.LinkConnecting || l[0].Transport != Name || l[0].Number != "+15550783881" {
		t.Fatalf("initial links = %+v, want one connecting entry for the number", l)
	}
	e.graph.expect(call{method: "POST", path: messagesPath, body: textBody("Olá"), status: 401,
		reply: `{"error":{"message":"Session has expired","code":190}}`})
	e.graph.expectSend(textBody("Olá"), "wamid.2")
	send := func() {
		_, _ = e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"})
	}

	send()
	expired := e.tr.Links()[0]
	if expired.State != bot.LinkDisconnected || !strings.Contains(expired.Detail, "create a new one") || !expired.Since.Equal(testNow) {
		t.Fatalf("after 190: %+v, want disconnected telling to create a new token", expired)
	}
	// A webhook proves Meta reaches us, not that the token works.
	if err := e.deliver(t, notification(value(testPhoneID, `"statuses":[]`))); err != nil {
		t.Fatal(err)
	}
	if got := e.tr.Links()[0].State; got != bot.LinkDisconnected {
		t.Fatalf("a webhook hid the expired token: state %s", got)
	}
	send()
	if got := e.tr.Links()[0].State; got != bot.LinkConnected {
		t.Fatalf("after a successful send: state %s, want connected", got)
	}
	var states []string
	for _, l := range e.sink.Links() {
		states = append(states, l.State)
	}
	if strings.Join(states, ",") != "disconnected,connected" {
		t.Errorf("Sink.Link heard %v, want each change once: disconnected, connected", states)
	}
}

func TestWebhookSettlesTheConnectingLinkAndLearnsTheNumber(t *testing.T) {
	e := newEnv(t)
	if err := e.deliver(t, notification(value(testPhoneID, `"statuses":[]`))); err != nil {
		t.Fatal(err)
	}
	l := e.tr.Links()[0]
	if l.State != bot.LinkConnected || l.Number != "+15550783881" {
		t.Fatalf("link = %+v, want connected with the display number", l)
	}
	if len(e.sink.Links()) != 1 {
		t.Errorf("Sink.Link called %d times, want 1", len(e.sink.Links()))
	}
}

func TestNewReportsEveryProblemAtOnce(t *testing.T) {
	_, err := New(Config{PhoneNumberID: "+55 11", Templates: map[string]Template{"reminder.overdue": {Name: "Quita Overdue"}}})
	if err == nil {
		t.Fatal("New accepted an empty config")
	}
	for _, want := range []string{"AccessToken is required", "AppSecret is required", "VerifyToken is required",
		"Sink is required", "Window is required", "numeric Graph API id", `template for "reminder.overdue"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestNewFillsDefaults(t *testing.T) {
	tr, err := New(Config{PhoneNumberID: "1", AccessToken: "t", AppSecret: "s", VerifyToken: "v", Sink: &fakeSink{}, Window: &fakeWindow{}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.cfg.BaseURL != DefaultBaseURL || tr.version != "/"+DefaultAPIVersion || tr.cfg.MaxReplyAge != DefaultMaxReplyAge ||
		tr.cfg.MaxMediaBytes != DefaultMaxMediaBytes || tr.cfg.HTTPClient == nil || tr.cfg.Clock == nil || tr.Name() != "cloudapi" {
		t.Errorf("defaults not filled: %+v", tr.cfg)
	}
}

func TestTemplateLanguage(t *testing.T) {
	for locale, want := range map[string]string{"pt-BR": "pt_BR", "": "pt_BR", "en": "en_US", "es": "es", "fr-CA": "fr_CA"} {
		if got := templateLanguage(locale); got != want {
			t.Errorf("templateLanguage(%q) = %q, want %q", locale, got, want)
		}
	}
}
