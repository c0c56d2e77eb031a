package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

const lgpdToken = "0123456789abcdef"

// lgpdServer serves a store holding customer C-1 with an open invoice and
// a two-entry conversation.
func lgpdServer(t *testing.T) (*store.Store, func(method, path, body string) (int, []byte)) {
	t.Helper()
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	cust := bot.Customer{ID: "cus_1", ExternalID: "C-1", Name: "Maria Souza", Phone: "+5511988887777",
		Email: "maria@example.com", Document: "123.456.789-09", CreatedAt: t0, UpdatedAt: t0}
	if err := st.UpsertInvoice(ctx, cust, bot.Invoice{ID: "INV-1", CustomerID: "cus_1", AmountCents: 15990,
		Currency: "BRL", DueDate: "2026-11-25", Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	conv := bot.Conversation{ID: "cnv_1", CustomerID: "cus_1", Phone: cust.Phone, Transport: "sim",
		Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
	if _, err := st.CommitTurn(ctx, bot.Turn{Conversation: conv, IsNew: true, Entries: []bot.TranscriptEntry{
		{At: t0, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "já paguei"},
		{At: t0, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Obrigado"}}}); err != nil {
		t.Fatal(err)
	}
	app, err := New(Deps{Store: st, Coord: coord.NewMemory(), Clock: clock.NewOffset(), Policy: policy.Default(),
		Location: time.UTC, APIToken: lgpdToken})
	if err != nil {
		t.Fatal(err)
	}
	return st, func(method, path, body string) (int, []byte) {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, r)
		req.Header.Set("Authorization", "Bearer "+lgpdToken)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := app.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
}

func TestCustomerDataEndpoint(t *testing.T) {
	_, do := lgpdServer(t)
	status, body := do("GET", "/v1/customers/C-1/data", "")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var got struct {
		Customer      customerJSON
		Invoices      []invoiceJSON
		Conversations []struct {
			ID         string
			Transcript []bot.TranscriptEntry
		}
		Events []eventJSON
		Media  []bot.Media
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if got.Customer.ID != "C-1" || got.Customer.Document != "123.456.789-09" || len(got.Invoices) != 1 ||
		len(got.Conversations) != 1 || got.Conversations[0].ID != "cnv_1" || len(got.Conversations[0].Transcript) != 2 ||
		got.Events == nil || got.Media == nil {
		t.Fatalf("export: %s", body)
	}
	status, body = do("GET", "/v1/customers/C-404/data", "")
	var e errorBody
	if status != 404 || json.Unmarshal(body, &e) != nil || e.Error.Code != "not_found" {
		t.Fatalf("unknown customer: %d %s", status, body)
	}
	req := httptest.NewRequest("GET", "/v1/customers/C-1/data", nil)
	app, _ := New(Deps{Store: storetest.OpenSQLite(t), Coord: coord.NewMemory(), Clock: clock.NewOffset(),
		Policy: policy.Default(), Location: time.UTC, APIToken: lgpdToken})
	if resp, _ := app.Test(req); resp.StatusCode != 401 {
		t.Fatalf("without the token: %d", resp.StatusCode)
	}
}

func TestEraseEndpoint(t *testing.T) {
	st, do := lgpdServer(t)
	status, body := do("POST", "/v1/customers/C-1/erase", `{"reason":"titular pediu","force":false}`)
	var e errorBody
	if status != 409 || json.Unmarshal(body, &e) != nil || e.Error.Code != "conflict" || !strings.Contains(e.Error.Message, "INV-1") {
		t.Fatalf("erase with an open invoice: %d %s", status, body)
	}
	if status, body := do("POST", "/v1/customers/C-1/erase", `{"force":true}`); status != 422 {
		t.Fatalf("erase without a reason: %d %s", status, body)
	}
	if status, body := do("POST", "/v1/customers/C-404/erase", `{"reason":"x"}`); status != 404 {
		t.Fatalf("erase of an unknown customer: %d %s", status, body)
	}
	status, body = do("POST", "/v1/customers/C-1/erase", `{"reason":"decisão do DPO","force":true}`)
	var got store.Erasure
	if status != 200 || json.Unmarshal(body, &got) != nil || !got.Forced || got.Actor != "api" ||
		got.Erased.TranscriptEntries != 2 || len(got.Kept) != 1 || got.Kept[0].AmountCents != 15990 {
		t.Fatalf("forced erase: %d %s", status, body)
	}
	status, body = do("GET", "/v1/customers/C-1/data", "")
	if status != 200 || strings.Contains(string(body), "Maria") || strings.Contains(string(body), "já paguei") {
		t.Fatalf("data after erasure: %d %s", status, body)
	}
	status, body = do("GET", "/v1/conversations/cnv_1/transcript/verify", "")
	if status != 200 || string(body) != `{"ok":true,"entries":2,"erased":2}` {
		t.Fatalf("verify after erasure: %d %s", status, body)
	}
	var events int64
	st.Gorm.Raw("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.erased'").Scan(&events)
	if events != 1 {
		t.Fatalf("%d customer.erased events", events)
	}
}

func TestConsoleAdminDownloadsCustomerData(t *testing.T) {
	env := newConsoleEnv(t, false)
	admin := env.browser(t)
	admin.mustLogin("root")
	conv := admin.do("GET", "/console/c/cnv_1", nil)
	if !strings.Contains(conv.body, `href="/console/customers/cus_m/data"`) {
		t.Fatalf("the admin's conversation page lacks the data download:\n%s", conv.body)
	}
	p := admin.do("GET", "/console/customers/cus_m/data", nil)
	if p.status != 200 || !strings.Contains(p.header.Get("Content-Disposition"), `filename="customer-cus_m.json"`) ||
		!strings.Contains(p.body, `"transcript"`) || !strings.Contains(p.body, "Maria Souza") {
		t.Fatalf("download: %d %v %s", p.status, p.header, p.body)
	}
	agent := env.browser(t)
	agent.mustLogin("ana")
	if p := agent.do("GET", "/console/c/cnv_1", nil); strings.Contains(p.body, "/console/customers/") {
		t.Fatal("an agent is offered the data download")
	}
	if p := agent.do("GET", "/console/customers/cus_m/data", nil); p.status != 403 {
		t.Fatalf("an agent's download: %d", p.status)
	}
}
