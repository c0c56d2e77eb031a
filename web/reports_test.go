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

func TestCollectionReportAPI(t *testing.T) {
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 20, 15, 0, 0, 0, time.UTC)
	c := bot.Customer{ID: "cus_1", Name: "Maria", Phone: "+5511988887777", CreatedAt: now, UpdatedAt: now}
	for _, inv := range []bot.Invoice{
		{ID: "INV-1", CustomerID: "cus_1", AmountCents: 15990, Currency: "BRL", DueDate: "2026-12-01", Status: bot.InvoiceOpen, CreatedAt: now, UpdatedAt: now},
		{ID: "INV-2", CustomerID: "cus_1", AmountCents: 5000, Currency: "BRL", DueDate: "2026-12-10", Status: bot.InvoiceOpen, CreatedAt: now, UpdatedAt: now},
	} {
		if err := st.UpsertInvoice(ctx, c, inv); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.SetInvoiceStatus(ctx, "INV-2", bot.InvoicePaid, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	pol := policy.Default()
	pol.Reports.MessageCostCents = map[string]int64{"cloudapi": 8}
	app, err := New(Deps{Store: st, Coord: coord.NewMemory(), Clock: clock.NewManual(now), Policy: pol,
		Location: time.UTC, APIToken: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, auth bool) (int, string, string) {
		req := httptest.NewRequest("GET", path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer 0123456789abcdef")
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	if code, _, _ := get("/v1/reports/collections", false); code != 401 {
		t.Fatalf("without the token: %d", code)
	}

	code, _, body := get("/v1/reports/collections", true)
	if code != 200 {
		t.Fatalf("default period: %d %s", code, body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	// The last 30 days, today included.
	if got["from"] != "2026-11-21" || got["to"] != "2026-12-20" {
		t.Fatalf("default period %v–%v", got["from"], got["to"])
	}
	for _, key := range []string{"invoices", "recovered_cents", "conversations", "reminders", "by_step", "by_variant", "promises",
		"plans", "opt_outs", "wrong_numbers", "disputes", "handoffs", "intents", "kpis"} {
		if _, ok := got[key]; !ok {
			t.Errorf("report lacks %q: %s", key, body)
		}
	}
	for _, want := range []string{`"invoices":{"open":1,"open_cents":15990,"overdue":1,"overdue_cents":15990,"paid":1,"paid_cents":5000,"cancelled":0}`,
		`"by_step":[]`, `"by_variant":[]`, `"intents":{"already_paid":0}`,
		`"aging":[{"bucket":"1-30","count":1,"cents":15990},{"bucket":"31-60","count":0,"cents":0}`,
		`"satisfaction":{"answers":0,"average":0}`, `"avg_days_to_pay":10`} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %s:\n%s", want, body)
		}
	}

	for _, q := range []string{"from=2026-13-01", "to=yesterday", "from=2026-12-10&to=2026-12-01", "format=xml"} {
		code, _, body := get("/v1/reports/collections?"+q, true)
		var e struct{ Error errorDetail }
		if code != 422 || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != "invalid" || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want 422 in the contract's shape", q, code, body)
		}
	}

	code, ctype, csv := get("/v1/reports/collections?from=2026-12-01&to=2026-12-31&format=csv", true)
	if code != 200 || !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("csv: %d %s", code, ctype)
	}
	for _, want := range []string{"metric,step,variant,value\n", "from,,,2026-12-01\n", "invoices.paid_cents,,,5000\n",
		"kpis.aging.1-30.count,,,1\n", "kpis.cost_cents,,,0\n", "intents.already_paid,,,0\n"} {
		if !strings.Contains(csv, want) {
			t.Errorf("csv lacks %q:\n%s", want, csv)
		}
	}
}

func TestReportKPIs(t *testing.T) {
	prices := policy.Reports{MessageCostCents: map[string]int64{"cloudapi": 8, "default": 1}}
	r := toReportJSON(policy.NewDate(2026, 12, 1), policy.NewDate(2026, 12, 31), storeReportForKPIs(), prices)
	k := r.KPIs
	if k.RecoveryRate != 0.5 || k.AvgDaysToPay != 4.25 || k.DefaultRate != 0.25 || k.MessagesSent != 3 || k.CostCents != 10 ||
		k.CostPerRecoveredReal != 0.0007 {
		t.Fatalf("kpis %+v", k)
	}
}

func storeReportForKPIs() store.CollectionReport {
	r := store.CollectionReport{Paid: 4, DaysLateSum: 17, RecoveredCents: 15000, OverdueContacted: 2, OverdueRecovered: 1,
		DefaultCohort: 4, Defaulted: 1}
	r.Reminders.Sent = 3
	r.Reminders.MessagesByMean = map[string]int64{"cloudapi": 1, "sim": 2}
	return r
}
