package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func TestAgentAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ana := store.Agent{ID: "agt_1", Name: "ana", Role: store.RoleAgent, CreatedAt: t0}
		if err := s.CreateAgent(ctx, ana, "$2a$hash"); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAgent(ctx, store.Agent{ID: "agt_2", Name: "ana", Role: store.RoleAdmin, CreatedAt: t0}, "h"); bot.ErrorCodeOf(err) != bot.CodeConflict {
			t.Fatalf("duplicate name: %v, want conflict", err)
		}
		for _, bad := range []store.Agent{{ID: "x", Name: "Ana", Role: "agent"}, {ID: "y", Name: "bob smith", Role: "agent"},
			{ID: "z", Name: "carla", Role: "root"}, {ID: "w", Name: "", Role: "agent"}} {
			if err := s.CreateAgent(ctx, bad, "h"); bot.ErrorCodeOf(err) != bot.CodeInvalid {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		if err := s.CreateAgent(ctx, store.Agent{ID: "agt_3", Name: "bia", Role: store.RoleAdmin, CreatedAt: t0}, "h2"); err != nil {
			t.Fatal(err)
		}
		got, hash, err := s.AgentCredentials(ctx, "ana")
		if err != nil || hash != "$2a$hash" || got.Role != store.RoleAgent || got.ID != "agt_1" {
			t.Fatalf("credentials: %+v %q %v", got, hash, err)
		}
		if _, _, err := s.AgentCredentials(ctx, "nobody"); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Fatalf("unknown agent: %v", err)
		}
		list, err := s.Agents(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "ana" || list[1].Name != "bia" {
			t.Fatalf("list: %+v %v", list, err)
		}
		if err := s.SetAgentDisabled(ctx, "nobody", true, t0); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Fatalf("disable unknown: %v", err)
		}
	})
}

func TestConsoleSessionsEndOnLogoutExpiryAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.CreateAgent(ctx, store.Agent{ID: "agt_1", Name: "ana", Role: store.RoleAgent, CreatedAt: t0}, "h"); err != nil {
			t.Fatal(err)
		}
		sess := store.ConsoleSession{IDHash: "hash1", AgentID: "agt_1", CSRF: "tok", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateConsoleSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		got, agent, err := s.ConsoleSession(ctx, "hash1", t0.Add(time.Minute))
		if err != nil || got.CSRF != "tok" || agent.Name != "ana" {
			t.Fatalf("live session: %+v %+v %v", got, agent, err)
		}
		if _, _, err := s.ConsoleSession(ctx, "hash1", t0.Add(time.Hour)); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("expired session: %v", err)
		}
		if err := s.TouchConsoleSession(ctx, "hash1", t0.Add(30*time.Minute), t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ConsoleSession(ctx, "hash1", t0.Add(90*time.Minute)); err != nil {
			t.Fatalf("touched session: %v", err)
		}
		// Disabling the agent ends the session; enabling does not revive it.
		if err := s.SetAgentDisabled(ctx, "ana", true, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ConsoleSession(ctx, "hash1", t0); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("session of a disabled agent: %v", err)
		}
		if err := s.SetAgentDisabled(ctx, "ana", false, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ConsoleSession(ctx, "hash1", t0); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("session revived by re-enabling: %v", err)
		}
		// Logout deletes; expired rows are swept.
		sess.IDHash = "hash2"
		if err := s.CreateConsoleSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteConsoleSession(ctx, "hash2"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ConsoleSession(ctx, "hash2", t0); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("logged-out session: %v", err)
		}
		sess.IDHash = "hash3"
		if err := s.CreateConsoleSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteExpiredConsoleSessions(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		// A new password ends sessions too.
		sess.IDHash = "hash4"
		if err := s.CreateConsoleSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAgentPassword(ctx, "ana", "h2", t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ConsoleSession(ctx, "hash4", t0); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("session after a password change: %v", err)
		}
	})
}

func TestConsoleInboxSearchAndFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		maria := bot.Customer{ID: "cus_m", Name: "Maria Souza", Phone: "+5511988887777", CreatedAt: t0, UpdatedAt: t0}
		joao := bot.Customer{ID: "cus_j", Name: "João Lima", Phone: "+5521977776666", CreatedAt: t0, UpdatedAt: t0}
		for _, x := range []struct {
			c   bot.Customer
			inv string
		}{{maria, "INV-100"}, {maria, "INV-101"}, {joao, "FAT_7"}} {
			inv := bot.Invoice{ID: x.inv, CustomerID: x.c.ID, AmountCents: 1000, Currency: "BRL", DueDate: "2026-11-25",
				Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
			if err := s.UpsertInvoice(ctx, x.c, inv); err != nil {
				t.Fatal(err)
			}
		}
		convM := bot.Conversation{ID: "cnv_m", CustomerID: "cus_m", Phone: maria.Phone, Transport: "sim", Status: bot.StatusNeedsAgent,
			State: "with_agent", CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)}
		turn := bot.Turn{Conversation: convM, IsNew: true, Entries: []bot.TranscriptEntry{
			{At: t0, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "quero falar com alguém", Intent: "human_agent"},
			{At: t0, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Claro!", Status: bot.DeliverySent}},
			Collections: []bot.Collection{{InvoiceID: "INV-100", Status: bot.CollectionClaimed, UpdatedAt: t0},
				{InvoiceID: "INV-101", Status: bot.CollectionDisputed, UpdatedAt: t0}}}
		if _, err := s.CommitTurn(ctx, turn); err != nil {
			t.Fatal(err)
		}
		convJ := bot.Conversation{ID: "cnv_j", CustomerID: "cus_j", Phone: joao.Phone, Transport: "sim", Status: bot.StatusOpen,
			State: "menu", CreatedAt: t0, UpdatedAt: t0}
		if _, err := s.CommitTurn(ctx, bot.Turn{Conversation: convJ, IsNew: true}); err != nil {
			t.Fatal(err)
		}
		stranger := bot.Conversation{ID: "cnv_x", Phone: "+5531900001111", Transport: "sim", Status: bot.StatusResolved,
			State: "closed", CreatedAt: t0, UpdatedAt: t0.Add(-time.Minute)}
		if _, err := s.CommitTurn(ctx, bot.Turn{Conversation: stranger, IsNew: true}); err != nil {
			t.Fatal(err)
		}

		ids := func(f store.InboxFilter) []string {
			t.Helper()
			items, err := s.Inbox(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range items {
				out = append(out, it.Conversation.ID)
			}
			return out
		}
		cases := []struct {
			f    store.InboxFilter
			want []string
		}{
			{store.InboxFilter{}, []string{"cnv_m", "cnv_j", "cnv_x"}},
			{store.InboxFilter{Status: "needs_agent"}, []string{"cnv_m"}},
			{store.InboxFilter{Query: "souza"}, []string{"cnv_m"}},
			{store.InboxFilter{Query: "joão"}, []string{"cnv_j"}},
			{store.InboxFilter{Query: "inv-101"}, []string{"cnv_m"}},
			{store.InboxFilter{Query: "fat_"}, []string{"cnv_j"}},
			{store.InboxFilter{Query: "%"}, nil},
			{store.InboxFilter{Query: "(21) 97777-6666"}, []string{"cnv_j"}},
			{store.InboxFilter{Query: "0001111"}, []string{"cnv_x"}},
			{store.InboxFilter{Query: "souza", Status: "open"}, nil},
			{store.InboxFilter{Limit: 1}, []string{"cnv_m"}},
		}
		for _, c := range cases {
			got := ids(c.f)
			if len(got) != len(c.want) {
				t.Errorf("%+v: got %v, want %v", c.f, got, c.want)
				continue
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("%+v: got %v, want %v", c.f, got, c.want)
					break
				}
			}
		}
		items, err := s.Inbox(ctx, store.InboxFilter{Status: "needs_agent"})
		if err != nil || len(items) != 1 {
			t.Fatal(items, err)
		}
		m := items[0]
		if m.CustomerName != "Maria Souza" || m.Claimed != 1 || m.Disputed != 1 || m.LastText != "Claro!" || m.LastIntent != "human_agent" {
			t.Fatalf("inbox item: %+v", m)
		}
		counts, err := s.InboxCounts(ctx)
		if err != nil || counts["needs_agent"] != 1 || counts["open"] != 1 || counts["resolved"] != 1 {
			t.Fatalf("counts: %v %v", counts, err)
		}
	})
}
