package policy

import (
	"strings"
	"testing"
	"time"
)

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Policy)
		want   string
	}{
		{"late fee", func(p *Policy) { p.Charges.LateFeePercent = 2.5 },
			"policy: charges.late_fee_percent: 2.5 exceeds the legal maximum of 2 (CDC art. 52 §1)"},
		{"negative fee", func(p *Policy) { p.Charges.LateFeePercent = -1 }, "policy: charges.late_fee_percent: must not be negative"},
		{"interest", func(p *Policy) { p.Charges.MonthlyInterestPercent = 12 }, "policy: charges.monthly_interest_percent: 12 is outside 0–10"},
		{"name", func(p *Policy) { p.Company.Name = "  " },
			"policy: company.name: required: the creditor is named in every collection message (CDC art. 42-A)"},
		{"cnpj", func(p *Policy) { p.Company.Document = "11.222.333/0001-82" }, `policy: company.document: "11.222.333/0001-82" is not a valid CNPJ or CPF`},
		{"email", func(p *Policy) { p.Company.Email = "cobranca" }, `policy: company.email: "cobranca" is not an e-mail address`},
		{"website", func(p *Policy) { p.Company.Website = "loja.com.br" }, `policy: company.website: "loja.com.br" must start with https://`},
		{"sunday", func(p *Policy) { p.ContactWindows.Sunday = "10:00-12:00" }, "policy: contact_windows.sunday: collection on Sundays is not allowed"},
		{"hours syntax", func(p *Policy) { p.ContactWindows.Monday = "9h-18h" },
			`policy: contact_windows.monday: "9h-18h" is not a range like 09:00-18:00 (or "off")`},
		{"night", func(p *Policy) { p.ContactWindows.Friday = "07:00-18:00" },
			`policy: contact_windows.friday: "07:00-18:00" is outside 08:00–20:00, the widest hours consumer laws allow`},
		{"no day open", func(p *Policy) {
			w := &p.ContactWindows
			w.Monday, w.Tuesday, w.Wednesday, w.Thursday, w.Friday = "off", "off", "off", "off", "off"
		}, "policy: contact_windows: no day has contact hours"},
		{"extra holiday", func(p *Policy) { p.ContactWindows.Holidays.Extra = []string{"01-25", "25/12"} },
			`policy: contact_windows.holidays.extra[1]: "25/12" is not a date like 2026-12-24 or a yearly date like 12-24`},
		{"cadence order", func(p *Policy) { p.Reminders.Cadence[2].OffsetDays = -5 },
			"policy: reminders.cadence[2].offset_days: steps must be in increasing order"},
		{"tone", func(p *Policy) { p.Reminders.Cadence[3].Tone = "angry" },
			`policy: reminders.cadence[3].tone: "angry" is not one of friendly, firm, formal, final`},
		{"firm before due", func(p *Policy) { p.Reminders.Cadence[0].Tone = ToneFirm },
			"policy: reminders.cadence[0].tone: a reminder on or before the due date must be friendly"},
		{"message key", func(p *Policy) { p.Reminders.Cadence[1].Message = "Lembrete!" },
			`policy: reminders.cadence[1].message: "Lembrete!" is not a message key like reminder.overdue`},
		{"escalation early", func(p *Policy) { p.Reminders.Escalation.OffsetDays = 30 },
			"policy: reminders.escalation.offset_days: D+30 must come after the last step (D+30)"},
		{"escalation action", func(p *Policy) { p.Reminders.Escalation.Action = "lawyer" },
			`policy: reminders.escalation.action: "lawyer" is not one of agent, external, none`},
		{"segment catch-all", func(p *Policy) { p.Reminders.Segments = []Segment{{Name: "all"}} },
			"policy: reminders.segments[0]: matches every invoice: set tags, min_amount_cents or max_amount_cents"},
		{"segment range", func(p *Policy) {
			p.Reminders.Segments = []Segment{{Name: "mid", MinAmountCents: 500, MaxAmountCents: 100}}
		}, "policy: reminders.segments[0].max_amount_cents: must be above min_amount_cents (or 0 for no limit)"},
		{"time barred", func(p *Policy) { p.Reminders.TimeBarredYears = 0 }, "policy: reminders.time_barred_years: 0 is outside 1–10"},
		{"per day", func(p *Policy) { p.Caps.PerDay = 4 },
			"policy: caps.per_day: 4 is outside 1–3: more proactive messages a day is harassment (CDC art. 42)"},
		{"per week", func(p *Policy) { p.Caps.PerWeek = 0 }, "policy: caps.per_week: 0 is outside caps.per_day (1) to 7×caps.per_day (7)"},
		{"offer beyond max", func(p *Policy) { p.Installments.Offer = []int{2, 12} },
			"policy: installments.offer[1]: 12 exceeds installments.max_count (6)"},
		{"offer order", func(p *Policy) { p.Installments.Offer = []int{3, 2} }, "policy: installments.offer[1]: counts must be in increasing order"},
		{"down payment", func(p *Policy) { p.Installments.DownPaymentPercent = 100 }, "policy: installments.down_payment_percent: 100 is outside 0–90"},
		{"discount zero", func(p *Policy) { p.Discounts.Enabled, p.Discounts.MaxPercent = true, 0 },
			"policy: discounts.max_percent: must be above 0 when discounts are enabled"},
		{"promise", func(p *Policy) { p.Promises.MaxDays = 365 }, "policy: promises.max_days: 365 is outside 1–90"},
		{"receipts", func(p *Policy) { p.Receipts.ConfirmTimeoutBusinessDays = 0 }, "policy: receipts.confirm_timeout_business_days: 0 is outside 1–30"},
		{"retention", func(p *Policy) { p.RetentionDays = 1 }, "policy: retention_days: 1 is outside 30–36500"},
		{"operational retention", func(p *Policy) { p.Retention.OperationalDays = 1 }, "policy: retention.operational_days: 1 is outside 7–3650"},
		{"pix key", func(p *Policy) { p.Pix = Pix{Key: "11988887777", MerchantCity: "SAO PAULO"} },
			`policy: pix.key: "11988887777" is not a Pix key (CPF, CNPJ, +55 phone, e-mail or random key)`},
		{"pix city", func(p *Policy) { p.Pix = Pix{Key: "+5511988887777"} }, "policy: pix.merchant_city: required with pix.key"},
		{"pix long name", func(p *Policy) {
			p.Company.Name = "Comércio de Materiais de Construção Ltda"
			p.Pix = Pix{Key: "pix@loja.com.br", MerchantCity: "Campinas"}
		}, "policy: pix.merchant_name: required: company.name is longer than the 25 characters a Pix code allows"},
		{"delay", func(p *Policy) { p.WhatsApp.MinDelay = 0 }, "policy: whatsapp.min_delay: 0s is under 1s: back-to-back sends get numbers banned"},
		{"delay order", func(p *Policy) { p.WhatsApp.MaxDelay = 2 * time.Second },
			"policy: whatsapp.max_delay: 2s is below whatsapp.min_delay (4s)"},
	}
	for _, tt := range tests {
		p := Default()
		tt.change(&p)
		err := p.Validate()
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s:\n got  %v\n want %s", tt.name, err, tt.want)
		}
	}
}

func TestValidAccepts(t *testing.T) {
	p := Default()
	p.Company = Company{Name: "Loja", Document: "11.222.333/0001-81", Email: "cobranca@loja.com.br",
		Website: "https://loja.com.br", ContactPhone: "(11) 4000-1234", Address: "Rua A, 1"}
	p.ContactWindows.Saturday = "08:00-14:00"
	p.Pix = Pix{Key: "123e4567-e12b-12d1-a456-426655440000", MerchantCity: "São Paulo"}
	p.Reminders.Cadence = nil
	p.Installments.Offer = nil
	p.Discounts.Enabled = true
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"52998224725", "11222333000181", "+5511988887777", "pix@loja.com.br", "12ABC34501DE35"} {
		if !validPixKey(key) {
			t.Errorf("validPixKey(%q) = false", key)
		}
	}
	for _, doc := range []string{"529.982.247-25", "11.222.333/0001-81", "12.ABC.345/01DE-35"} {
		if !validDocument(doc) {
			t.Errorf("validDocument(%q) = false", doc)
		}
	}
	for _, doc := range []string{"111.111.111-11", "529.982.247-24", "00000000000000", "1234"} {
		if validDocument(doc) {
			t.Errorf("validDocument(%q) = true", doc)
		}
	}
}

func TestWarnings(t *testing.T) {
	w := strings.Join(Default().Warnings(), "\n")
	for _, want := range []string{"company.name: still the demo placeholder", "CDC art. 42-A"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	p := Default()
	p.Company = Company{Name: "Loja", Document: "11222333000181", Address: "Rua A, 1"}
	if w := p.Warnings(); len(w) != 0 {
		t.Errorf("unexpected warnings %v", w)
	}
}
