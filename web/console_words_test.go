package web

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// visible is the page's text without tags and attributes: what an agent
// reads.
func visible(html string) string {
	html = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`).ReplaceAllString(html, " ")
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, " ")
}

// addConversation stores a conversation of Maria's, on another number
// of hers (one per id: "cnv_12" → +5511900000012), with the given entries.
func (e *consoleEnv) addConversation(t *testing.T, id string, status bot.ConversationStatus, state string, entries ...bot.TranscriptEntry) {
	t.Helper()
	conv := bot.Conversation{ID: id, CustomerID: "cus_m", Phone: "+55119000000" + id[len(id)-2:], Transport: "sim", Status: status,
		State: state, Memory: []byte(`{}`), CreatedAt: consoleT0, UpdatedAt: consoleT0}
	if _, err := e.st.CommitTurn(context.Background(), bot.Turn{Conversation: conv, IsNew: true, Entries: entries}); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleSaysInternalIdentifiersInWords(t *testing.T) {
	env := newConsoleEnv(t, false)
	at := consoleT0.Add(time.Hour)
	sys := func(author, text, from, to string) bot.TranscriptEntry {
		return bot.TranscriptEntry{At: at, Direction: bot.DirectionSystem, Author: author, Text: text, StateFrom: from, StateTo: to}
	}
	env.addConversation(t, "cnv_12", bot.StatusOpen, "menu",
		sys(bot.AuthorSystem, "reminder d0@2026-12-09 DEMO-INV-1002, d-3@2026-12-12 DEMO-INV-1003", "start", "confirm_identity"),
		sys(bot.AuthorSystem, "event reminder.sent", "", ""),
		bot.TranscriptEntry{At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "já paguei", Intent: "already_paid",
			StateFrom: "confirm_identity", StateTo: "menu"},
		sys(bot.AuthorSystem, "collection of DEMO-INV-1002: claimed until 2026-12-11", "", ""),
		sys(bot.AuthorSystem, "reminder plan-2:d+7@2027-01-23 DEMO-INV-1001 (nothing sent: opted_out)", "", ""),
		sys("agent:ana", "ana took over the conversation", "menu", "with_agent"),
		// Unknown to the console: shown as recorded.
		bot.TranscriptEntry{At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "?", Intent: "brand_new_intent"},
		sys(bot.AuthorSystem, "something the engine learned to say later", "", ""),
	)
	b := env.browser(t)
	b.lang = "pt-BR"
	b.mustLogin("ana")
	p := b.do("GET", "/console/c/cnv_12", nil)
	text := visible(p.body)
	for _, want := range []string{
		"Lembrete: no vencimento (09/12), fatura DEMO-INV-1002; 3 dias antes do vencimento (12/12), fatura DEMO-INV-1003",
		"início → confirmando identidade",
		"Sistema de cobrança avisado: lembrete enviado",
		"diz que já pagou",
		"Cobrança da fatura DEMO-INV-1002: comprovante enviado até 11/12",
		"Lembrete: parcela 2, 7 dias após o vencimento (23/01), fatura DEMO-INV-1001 (nada enviado: pediu para parar)",
		"ana assumiu a conversa",
		"aguardando pedido → com agente",
		"brand_new_intent", "something the engine learned to say later",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the conversation page lacks %q", want)
		}
	}
	for _, raw := range []string{"already_paid", "confirm_identity", "reminder.sent", "d0@", "took over", "with_agent"} {
		if strings.Contains(text, raw) {
			t.Errorf("the conversation page shows the internal %q", raw)
		}
	}
	// The inbox's last intent and the English page say it too.
	if inbox := visible(b.do("GET", "/console?status=open", nil).body); !strings.Contains(inbox, "diz que já pagou") && !strings.Contains(inbox, "brand_new_intent") {
		t.Errorf("inbox: %s", inbox)
	}
	b.lang = "en"
	b.jar["quita_lang"] = "en"
	if text := visible(b.do("GET", "/console/c/cnv_12", nil).body); !strings.Contains(text, "Billing system notified: reminder sent") ||
		!strings.Contains(text, "says they already paid") || !strings.Contains(text, "start → confirming who this is") {
		t.Errorf("the English page is not in words: %s", text)
	}
}

func TestConsoleOpensOnTheFirstTabWithConversations(t *testing.T) {
	env := newConsoleEnv(t, false)
	// cnv_1 needs an agent: that tab first, as before.
	b := env.browser(t)
	b.mustLogin("ana")
	if p := b.do("GET", "/console", nil); !strings.Contains(p.body, `href="/console?status=needs_agent" aria-current="page"`) || !strings.Contains(p.body, "/console/c/cnv_1") {
		t.Fatalf("with a conversation waiting, the inbox did not open on it: %s", p.body)
	}
	// Once it is handled, only open conversations are left: the inbox
	// opens on them instead of an empty "Needs agent".
	conv, err := env.st.Conversation(context.Background(), "cnv_1")
	if err != nil {
		t.Fatal(err)
	}
	conv.Status = bot.StatusOpen
	if _, err := env.st.CommitTurn(context.Background(), bot.Turn{Conversation: conv}); err != nil {
		t.Fatal(err)
	}
	p := b.do("GET", "/console", nil)
	if !strings.Contains(p.body, `href="/console?status=open" aria-current="page"`) || !strings.Contains(p.body, "/console/c/cnv_1") {
		t.Fatalf("the inbox opened on an empty tab: %s", visible(p.body))
	}
	// Asked for explicitly, an empty tab stays what was asked for.
	if p := b.do("GET", "/console?status=needs_agent", nil); strings.Contains(p.body, "/console/c/cnv_1") {
		t.Fatal("?status=needs_agent listed an open conversation")
	}
}

func TestConsoleStatusChipIsSingularForOneConversation(t *testing.T) {
	env := newConsoleEnv(t, false)
	env.addConversation(t, "cnv_12", bot.StatusOpen, "menu")
	b := env.browser(t)
	b.lang = "pt-BR"
	b.mustLogin("ana")
	p := b.do("GET", "/console?status=open", nil)
	if !strings.Contains(p.body, `<span class="chip open">Aberta</span>`) {
		t.Errorf("the chip of one open conversation: %s", p.body)
	}
	if !strings.Contains(p.body, ">Abertas<") { // the tab names the list
		t.Errorf("the tab lost its plural")
	}
	if p := b.do("GET", "/console/c/cnv_12", nil); !strings.Contains(p.body, `id="convStatus">Aberta<`) {
		t.Errorf("the conversation page's chip: %s", p.body)
	}
}
