package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// body is the JSON of a message POST to the debtor for outbox id out_1,
// with the type-specific field given as a JSON fragment.
func body(typ, inner string) string {
	return `{"messaging_product":"whatsapp","recipient_type":"individual","to":"` + debtorDigits +
		`","biz_opaque_callback_data":"out_1","type":"` + typ + `",` + inner + `}`
}

func textBody(text string) string { return body("text", `"text":{"body":`+show(text)+`}`) }

func buttons(titles ...string) []bot.Button {
	out := make([]bot.Button, len(titles))
	for i, title := range titles {
		out[i] = bot.Button{ID: fmt.Sprint(i + 1), Title: title}
	}
	return out
}

func ago(d time.Duration) time.Time { return testNow.Add(-d) }

// testTemplates are the approved templates every send case may use.
var testTemplates = map[string]Template{
	"reminder.overdue":  {Name: "quita_overdue", Params: []string{"name", "amount", "due"}},
	"reminder.notice":   {Name: "quita_notice", Language: "pt_BR", Params: []string{"name", "description"}, HeaderMedia: true},
	"reminder.upcoming": {Name: "quita_upcoming"},
}

var invoicePDF = &bot.Media{Type: "document", MIME: "application/pdf", URL: "https://billing.example/INV-1.pdf", Filename: "INV-1.pdf"}

func TestSendShapes(t *testing.T) {
	twelve := buttons("Opção 1", "Opção 2", "Opção 3", "Opção 4", "Opção 5", "Opção 6",
		"Opção 7", "Opção 8", "Opção 9", "Opção 10", "Opção 11", "Opção 12")
	longCaption := strings.Repeat("a", 1100)
	tests := []struct {
		name    string
		cfg     func(*Config)
		last    time.Time // the debtor's last message; zero means never
		msg     bot.OutboundMessage
		want    []string // the POST bodies, in order
		wantErr string
		wantLog string
	}{
		{name: "text inside the window", last: ago(time.Hour),
			msg:  bot.OutboundMessage{Text: "Olá, Maria!", Key: "reminder.overdue"},
			want: []string{textBody("Olá, Maria!")}},
		{name: "23 hours after the last message is still inside", last: ago(23 * time.Hour),
			msg:  bot.OutboundMessage{Text: "Olá"},
			want: []string{textBody("Olá")}},
		{name: "two buttons become reply buttons", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: "Falo com Maria?\n1 - Sim\n2 - Não", Buttons: buttons("Sim", "Não")},
			want: []string{body("interactive", `"interactive":{"type":"button","body":{"text":"Falo com Maria?\n1 - Sim\n2 - Não"},
				"action":{"buttons":[{"type":"reply","reply":{"id":"1","title":"Sim"}},{"type":"reply","reply":{"id":"2","title":"Não"}}]}}`)}},
		{name: "five buttons become a list", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: "Escolha:", Locale: "pt-BR", Buttons: buttons("Pix", "Boleto", "Cartão", "Parcelar", "Falar com alguém")},
			want: []string{body("interactive", `"interactive":{"type":"list","body":{"text":"Escolha:"},"action":{"button":"Ver opções",
				"sections":[{"title":"Ver opções","rows":[{"id":"1","title":"Pix"},{"id":"2","title":"Boleto"},{"id":"3","title":"Cartão"},
				{"id":"4","title":"Parcelar"},{"id":"5","title":"Falar com alguém"}]}]}}`)}},
		{name: "a title too long for a button moves to a list", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: "Pick one", Locale: "en", Buttons: buttons("Yes", "Talk to a person, please")},
			want: []string{body("interactive", `"interactive":{"type":"list","body":{"text":"Pick one"},"action":{"button":"See options",
				"sections":[{"title":"See options","rows":[{"id":"1","title":"Yes"},{"id":"2","title":"Talk to a person, please"}]}]}}`)}},
		{name: "more than ten buttons become numbered lines, none repeated", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: "Escolha:\n1 - Opção 1", Buttons: twelve},
			want: []string{textBody("Escolha:\n1 - Opção 1\n2 - Opção 2\n3 - Opção 3\n4 - Opção 4\n5 - Opção 5\n6 - Opção 6" +
				"\n7 - Opção 7\n8 - Opção 8\n9 - Opção 9\n10 - Opção 10\n11 - Opção 11\n12 - Opção 12")}},
		{name: "a row title too long becomes numbered lines", last: ago(time.Hour),
			msg:  bot.OutboundMessage{Text: "Escolha:", Buttons: buttons("A", "B", "C", "Uma opção com um título longo demais")},
			want: []string{textBody("Escolha:\n1 - A\n2 - B\n3 - C\n4 - Uma opção com um título longo demais")}},
		{name: "a document with its caption", last: ago(time.Hour),
			msg:  bot.OutboundMessage{Text: "Segue a fatura.", Document: invoicePDF},
			want: []string{body("document", `"document":{"link":"https://billing.example/INV-1.pdf","filename":"INV-1.pdf","caption":"Segue a fatura."}`)}},
		{name: "a document with buttons goes in the buttons' header", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: "Segue a fatura. Conseguiu abrir?", Document: invoicePDF, Buttons: buttons("Sim", "Não")},
			want: []string{body("interactive", `"interactive":{"type":"button",
				"header":{"type":"document","document":{"link":"https://billing.example/INV-1.pdf","filename":"INV-1.pdf"}},
				"body":{"text":"Segue a fatura. Conseguiu abrir?"},
				"action":{"buttons":[{"type":"reply","reply":{"id":"1","title":"Sim"}},{"type":"reply","reply":{"id":"2","title":"Não"}}]}}`)}},
		{name: "a document with four buttons numbers them in the caption", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: "Segue a fatura.", Document: invoicePDF, Buttons: buttons("A", "B", "C", "D")},
			want: []string{body("document", `"document":{"link":"https://billing.example/INV-1.pdf","filename":"INV-1.pdf",
				"caption":"Segue a fatura.\n1 - A\n2 - B\n3 - C\n4 - D"}`)}},
		{name: "an image", last: ago(time.Hour),
			msg:  bot.OutboundMessage{Text: "QR do Pix", Document: &bot.Media{Type: "image", URL: "https://cdn.example/qr.png"}},
			want: []string{body("image", `"image":{"link":"https://cdn.example/qr.png","caption":"QR do Pix"}`)}},
		{name: "a relative media URL is made absolute",
			cfg:  func(c *Config) { c.PublicBaseURL = "https://quita.example/" },
			last: ago(time.Hour),
			msg:  bot.OutboundMessage{Text: "Recibo", Document: &bot.Media{Type: "document", URL: "/v1/media/med_1", Filename: "recibo.pdf"}},
			want: []string{body("document", `"document":{"link":"https://quita.example/v1/media/med_1","filename":"recibo.pdf","caption":"Recibo"}`)}},
		{name: "a relative media URL is signed so Meta can fetch it",
			cfg: func(c *Config) {
				c.PublicBaseURL = "https://quita.example"
				c.SignPath = func(p string) string { return p + "?exp=9&sig=abc" }
			},
			last: ago(time.Hour),
			msg:  bot.OutboundMessage{Text: "Pix", Document: &bot.Media{Type: "image", URL: "/v1/media/med_2"}},
			want: []string{body("image", `"image":{"link":"https://quita.example/v1/media/med_2?exp=9&sig=abc","caption":"Pix"}`)}},
		{name: "a relative media URL without a public base sends the text only", last: ago(time.Hour),
			msg:     bot.OutboundMessage{Text: "Recibo", Document: &bot.Media{Type: "document", URL: "/v1/media/med_1"}},
			want:    []string{textBody("Recibo")},
			wantLog: "media left out"},
		{name: "a caption too long goes as text first", last: ago(time.Hour),
			msg: bot.OutboundMessage{Text: longCaption, Document: invoicePDF},
			want: []string{textBody(longCaption),
				body("document", `"document":{"link":"https://billing.example/INV-1.pdf","filename":"INV-1.pdf"}`)}},
		{name: "outside the window the template goes, parameters in order", last: ago(30 * time.Hour),
			msg: bot.OutboundMessage{Text: "free text never sent", Buttons: buttons("Sim", "Não"), Key: "reminder.overdue", Locale: "en",
				Params: map[string]string{"due": "11/25", "name": "Maria", "amount": "R$ 159.90", "company": "Acme"}},
			want: []string{body("template", `"template":{"name":"quita_overdue","language":{"code":"en_US"},
				"components":[{"type":"body","parameters":[{"type":"text","text":"Maria"},{"type":"text","text":"R$ 159.90"},{"type":"text","text":"11/25"}]}]}`)}},
		{name: "never written: template with document header and cleaned parameters",
			msg: bot.OutboundMessage{Text: "x", Document: invoicePDF, Key: "reminder.notice", Locale: "es",
				Params: map[string]string{"name": "Maria", "description": "Internet\n300MB  -\tnovembro"}},
			want: []string{body("template", `"template":{"name":"quita_notice","language":{"code":"pt_BR"},"components":[
				{"type":"header","parameters":[{"type":"document","document":{"link":"https://billing.example/INV-1.pdf","filename":"INV-1.pdf"}}]},
				{"type":"body","parameters":[{"type":"text","text":"Maria"},{"type":"text","text":"Internet 300MB - novembro"}]}]}`)}},
		{name: "a template without parameters; a window closing within the margin counts as closed", last: ago(CustomerServiceWindow - 20*time.Second),
			msg:  bot.OutboundMessage{Text: "x", Key: "reminder.upcoming"},
			want: []string{body("template", `"template":{"name":"quita_upcoming","language":{"code":"pt_BR"}}`)}},
		{name: "outside the window without a template nothing is sent", last: ago(25 * time.Hour),
			msg:     bot.OutboundMessage{Text: "Último aviso", Key: "reminder.final_notice"},
			wantErr: `no approved template is configured for message key "reminder.final_notice"`},
		{name: "an agent's message outside the window is refused",
			msg:     bot.OutboundMessage{Text: "Oi, aqui é a Ana"},
			wantErr: "no catalog key"},
		{name: "a parameter the message lacks is refused", last: ago(48 * time.Hour),
			msg:     bot.OutboundMessage{Key: "reminder.overdue", Params: map[string]string{"name": "Maria"}},
			wantErr: `needs parameter "amount"`},
		{name: "a header template without a document is refused",
			msg:     bot.OutboundMessage{Key: "reminder.notice", Params: map[string]string{"name": "M", "description": "d"}},
			wantErr: "needs a header document"},
		{name: "an empty message is refused", last: ago(time.Hour),
			msg:     bot.OutboundMessage{Document: &bot.Media{Type: "document", URL: "/v1/media/x"}},
			wantErr: "no text and no media"},
		{name: "a number that is not E.164 is refused", last: ago(time.Hour),
			msg:     bot.OutboundMessage{To: debtorDigits, Text: "Olá"},
			wantErr: "invalid number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.Templates = testTemplates
				if tc.cfg != nil {
					tc.cfg(c)
				}
			})
			e.window.last = map[string]time.Time{debtor: tc.last}
			for i, w := range tc.want {
				e.graph.expectSend(w, fmt.Sprintf("wamid.%d", i+1))
			}
			msg := tc.msg
			msg.ID = "out_1"
			if msg.To == "" {
				msg.To = debtor
			}
			id, err := e.tr.Send(context.Background(), msg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Send error = %v, want one containing %q", err, tc.wantErr)
				}
				var retry *bot.RetryableError
				if errors.As(err, &retry) {
					t.Errorf("Send error %v is retryable; it never succeeds", err)
				}
				if e.graph.requests() != 0 {
					t.Errorf("%d requests reached the Graph API; none should", e.graph.requests())
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "wamid.1" {
				t.Errorf("Send id = %q, want wamid.1 (the first message's)", id)
			}
			if tc.wantLog != "" && !strings.Contains(e.logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, e.logs)
			}
		})
	}
}

func TestSendOutsideWindowWithoutTemplateMatchesErrOutsideWindow(t *testing.T) {
	e := newEnv(t)
	e.window.last = nil
	_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá", Key: "reminder.overdue"})
	if !errors.Is(err, ErrOutsideWindow) {
		t.Fatalf("Send error = %v, want ErrOutsideWindow", err)
	}
}

func TestSendFallsBackToTheTemplateWhenMetaSaysTheWindowIsClosed(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Templates = testTemplates })
	e.graph.expect(call{method: "POST", path: messagesPath, status: 400, body: textBody("Olá"),
		reply: `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"fbtrace_id":"A1"}}`})
	e.graph.expectSend(body("template", `"template":{"name":"quita_upcoming","language":{"code":"pt_BR"}}`), "wamid.T")
	id, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá", Key: "reminder.upcoming"})
	if err != nil || id != "wamid.T" {
		t.Fatalf("Send = %q, %v; want the template's wamid.T", id, err)
	}
}

func TestSendReEngagementWithoutTemplateIsFinal(t *testing.T) {
	e := newEnv(t)
	e.graph.expect(call{method: "POST", path: messagesPath, status: 400, body: textBody("Olá"),
		reply: `{"error":{"message":"(#131047) Re-engagement message","code":131047}}`})
	_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"})
	var ge *GraphError
	var retry *bot.RetryableError
	if !errors.As(err, &ge) || ge.Kind != KindWindowClosed || errors.As(err, &retry) || !errors.Is(err, ErrOutsideWindow) {
		t.Fatalf("Send error = %#v, want a final window_closed GraphError", err)
	}
	if !strings.Contains(err.Error(), "24-hour") {
		t.Errorf("error %q does not name the window", err)
	}
}

func TestSendTheSameOutboxMessageTwiceSendsOnce(t *testing.T) {
	e := newEnv(t)
	e.graph.expectSend(textBody("Olá"), "wamid.1")
	msg := bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"}
	first, err := e.tr.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.tr.Send(context.Background(), msg)
	if err != nil || second != first {
		t.Fatalf("resend = %q, %v; want %q without a request", second, err, first)
	}
	if n := e.graph.requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestSendWindowStoreFailureIsRetryable(t *testing.T) {
	e := newEnv(t)
	e.window.err = errors.New("database is locked")
	_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"})
	var retry *bot.RetryableError
	if !errors.As(err, &retry) || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("Send error = %v, want a retryable one carrying the cause", err)
	}
}

func TestSendWithoutAnIDInTheAnswerFails(t *testing.T) {
	e := newEnv(t)
	e.graph.expect(call{method: "POST", path: messagesPath, body: textBody("Olá"), reply: `{"messaging_product":"whatsapp","messages":[]}`})
	_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: debtor, Text: "Olá"})
	var retry *bot.RetryableError
	if err == nil || errors.As(err, &retry) {
		t.Fatalf("Send error = %v, want a final error: a retry might deliver twice", err)
	}
}
