package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func TestSystemEventsNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		for i, kind := range []string{"connecting", "qr_needed", "connected", "logged_out"} {
			e := store.SystemEvent{ID: fmt.Sprintf("sev_%d", i), At: base.Add(time.Duration(i) * time.Minute), Source: "whatsapp", Kind: kind}
			if err := st.RecordSystemEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.SystemEvents(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Kind != "logged_out" || got[2].Kind != "qr_needed" || !got[0].At.Equal(base.Add(3*time.Minute)) {
			t.Fatalf("events: %+v", got)
		}
		if err := st.RecordSystemEvent(ctx, store.SystemEvent{ID: "sev_0", At: base, Source: "x", Kind: "y"}); err == nil {
			t.Fatal("a duplicate id was accepted")
		}
	})
}
