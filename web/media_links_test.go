package web

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

func TestSignedMediaLinks(t *testing.T) {
	const token = "0123456789abcdef"
	st := storetest.OpenSQLite(t)
	m, err := st.SaveMedia(context.Background(), bot.Media{Type: "image", MIME: "image/png", Filename: "pix.png", Data: []byte("\x89PNG qr")})
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(Deps{Store: st, Coord: coord.NewMemory(), Clock: clock.NewOffset(), Policy: policy.Default(),
		Location: time.UTC, APIToken: token, Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	signed := SignMediaPath(token, m.URL, time.Now())
	if !strings.HasPrefix(signed, m.URL+"?exp=") {
		t.Fatalf("signed path %q", signed)
	}
	if st, body := get(signed); st != 200 || body != "\x89PNG qr" {
		t.Fatalf("signed link: %d %q", st, body)
	}
	other, _ := st.SaveMedia(context.Background(), bot.Media{Type: "document", MIME: "application/pdf", Filename: "r.pdf", Data: []byte("%PDF")})
	_, query, _ := strings.Cut(signed, "?")
	cases := map[string]string{
		"no signature":            m.URL,
		"expired":                 SignMediaPath(token, m.URL, time.Now().Add(-MediaLinkTTL-time.Minute)),
		"another token":           SignMediaPath("another-token-0123", m.URL, time.Now()),
		"signature of other file": other.URL + "?" + query,
		"tampered expiry":         strings.Replace(signed, "exp=", "exp=9", 1),
	}
	for name, path := range cases {
		if st, _ := get(path); st != 401 {
			t.Errorf("%s: %d, want 401", name, st)
		}
	}
	if got := SignMediaPath(token, "https://billing.example/inv.pdf", time.Now()); got != "https://billing.example/inv.pdf" {
		t.Errorf("an outside URL was signed: %q", got)
	}
}
