package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// TestDeviceStoreOnSharedDB runs whatsmeow's sqlstore on the service's own
// pool, opened by store.Open: SQLite always, PostgreSQL when
// QUITA_TEST_DATABASE_URL is set.
func TestDeviceStoreOnSharedDB(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, storetest.URLFor(t, b.Name))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			cfg := Config{DB: s.DB, Dialect: string(s.Dialect), Sink: &fakeSink{}}
			tr, err := New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"whatsmeow_device", "whatsmeow_lid_map", "whatsmeow_event_buffer", "quita_whatsapp_numbers"} {
				var n int
				if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
					t.Errorf("table %s: %v", table, err)
				}
			}
			// Opening again (a restart) finds the schema current.
			if _, err := New(ctx, cfg); err != nil {
				t.Fatalf("second open: %v", err)
			}

			devs := tr.devs.(*sqlDevices)
			dev := devs.container.NewDevice()
			jid := types.JID{User: "5511999990000", Server: types.DefaultUserServer, Device: 4}
			dev.ID = &jid
			dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
				AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
			if err := dev.Save(ctx); err != nil {
				t.Fatal(err)
			}
			listed, err := tr.devs.List(ctx)
			if err != nil || len(listed) != 1 || listed[0] != jid {
				t.Fatalf("List = %v, %v", listed, err)
			}
			a, err := tr.devs.Client(ctx, jid)
			if err != nil || a == nil {
				t.Fatalf("Client = %v, %v", a, err)
			}
			rc := a.(realClient)
			if !rc.SynchronousAck || !rc.EnableDecryptedEventBuffer || rc.EnableAutoReconnect {
				t.Error("client not set up for acks after storage and supervised reconnects")
			}
			if a.OwnJID() != jid {
				t.Errorf("own JID = %v", a.OwnJID())
			}
			// After a restart the same device tags and recognises its ids.
			b2, err := tr.devs.Client(ctx, jid)
			if err != nil {
				t.Fatal(err)
			}
			if id := newMessageID(a.IDKey()); !isOwnMessageID(b2.IDKey(), id) {
				t.Error("message ids are not recognised after reloading the device")
			}
			lid := types.NewJID("123456789", types.HiddenUserServer)
			pn := types.NewJID("5511988887777", types.DefaultUserServer)
			if err := a.PutLIDMapping(ctx, lid, pn); err != nil {
				t.Fatal(err)
			}
			if got, err := b2.PNForLID(ctx, lid); err != nil || got != pn {
				t.Errorf("PNForLID = %v, %v", got, err)
			}
			if got, err := b2.LIDForPN(ctx, pn); err != nil || got != lid {
				t.Errorf("LIDForPN = %v, %v", got, err)
			}
			if gone, err := tr.devs.Client(ctx, types.JID{User: "1", Server: types.DefaultUserServer}); err != nil || gone != nil {
				t.Errorf("missing device = %v, %v; want nil, nil", gone, err)
			}

			// The number's record round-trips.
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			rec, err := tr.numbers.load(ctx, "5511999990000@s.whatsapp.net", now)
			if err != nil || !rec.LinkedAt.Equal(now) {
				t.Fatalf("new record = %+v, %v", rec, err)
			}
			rec.SentDay, rec.SentCount, rec.TimelockUntil = "2026-11-25", 7, now.Add(time.Hour)
			if err := tr.numbers.save(ctx, "5511999990000@s.whatsapp.net", rec); err != nil {
				t.Fatal(err)
			}
			got, err := tr.numbers.load(ctx, "5511999990000@s.whatsapp.net", now.Add(48*time.Hour))
			if err != nil || got != rec {
				t.Errorf("record = %+v, %v; want %+v", got, err, rec)
			}
		})
	}
}

func TestStartWithoutDevicesAsksForPairing(t *testing.T) {
	h := newHarness(t)
	h.devs.jids = nil
	h.tr.lines = nil
	h.tr.after = func(time.Duration) <-chan time.Time { return nil }
	h.tr.Start(context.Background())
	deadline := time.Now().Add(2 * time.Second)
	for len(h.tr.Links()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	links := h.tr.Links()
	if len(links) != 1 || links[0].Number != "" {
		t.Fatalf("links = %+v, want one pairing link", links)
	}
	if err := h.tr.Close(); err != nil {
		t.Fatal(err)
	}
}
