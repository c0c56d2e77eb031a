package web

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// simPageIn signs in with a /sim?code= link and returns the chat page as
// a browser asking for acceptLanguage gets it.
func simPageIn(t *testing.T, acceptLanguage string) string {
	t.Helper()
	st := storetest.OpenSQLite(t)
	clk := clock.NewOffset()
	app, err := New(Deps{Store: st, Coord: coord.NewMemory(), Clock: clk, Policy: policy.Default(),
		Location: time.UTC, APIToken: "0123456789abcdef", Simulator: true, Console: ConsoleDeps{Locale: "pt-BR"},
		Debtors: func(context.Context) []Debtor {
			return []Debtor{{Name: "Maria Souza", Phone: "+5511988887777", Open: 2, Total: "R$ 259,90", Locale: "pt-BR"}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	code, err := NewSimSignInCode(context.Background(), st, "0123456789abcdef", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.Test(httptest.NewRequest("GET", "/sim?code="+url.QueryEscape(code), nil))
	if err != nil {
		t.Fatal(err)
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == simCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("the sign-in link set no session: %d %v", resp.StatusCode, resp.Header)
	}
	req := httptest.NewRequest("GET", "/sim", nil)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept-Language", acceptLanguage)
	resp, err = app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/sim: %d %s", resp.StatusCode, body)
	}
	return string(body)
}

func TestSimPageFollowsTheBrowsersLanguage(t *testing.T) {
	pt := simPageIn(t, "pt-BR,pt;q=0.9,en;q=0.8")
	for _, want := range []string{`<html lang="pt-BR">`, "<summary>Quem é você?</summary>", "Você é o devedor.", ">Mover relógio<",
		`placeholder="Digite uma mensagem"`, "Movendo o relógio…", // a label of the page's script
		"2 em aberto · R$ 259,90", // the demo debtor's summary
	} {
		if !strings.Contains(pt, want) {
			t.Errorf("the Portuguese /sim lacks %q", want)
		}
	}
	// The script writes dates dd/mm/yyyy in Portuguese, ISO in English.
	dmy := regexp.MustCompile(`DMY = \s*(true|false)\s*;`)
	if m := dmy.FindStringSubmatch(pt); m == nil || m[1] != "true" {
		t.Errorf("the Portuguese /sim does not write dates dd/mm: %v", m)
	}
	for _, english := range []string{"Who are you?", "Move clock", "Moving the clock", "Type a message"} {
		if strings.Contains(pt, english) {
			t.Errorf("the Portuguese /sim still says %q", english)
		}
	}
	en := simPageIn(t, "en-US,en;q=0.9")
	for _, want := range []string{`<html lang="en">`, "<summary>Who are you?</summary>", ">Move clock<", "Moving the clock…"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English /sim lacks %q", want)
		}
	}
	if m := dmy.FindStringSubmatch(en); m == nil || m[1] != "false" {
		t.Errorf("the English /sim writes dates dd/mm: %v", m)
	}
}

func TestSimAttachButtonHasAVisibleLabel(t *testing.T) {
	for lang, label := range map[string]string{"pt-BR": "Anexar", "en": "Attach"} {
		page := simPageIn(t, lang)
		i := strings.Index(page, `<label id="attachLbl"`)
		if i < 0 {
			t.Fatalf("%s: no attach button", lang)
		}
		lbl := page[i : i+strings.Index(page[i:], "</label>")]
		// The text outside the screen-reader-only span is what sighted
		// users read next to the paper clip.
		shown := lbl
		if j := strings.Index(shown, `<span class="sr">`); j >= 0 {
			shown = shown[:j]
		}
		if !strings.Contains(visible(shown+">"), label) {
			t.Errorf("%s: the attach button shows no text label: %s", lang, lbl)
		}
	}
}

// TestSimSignInPageFollowsTheBrowsersLanguage: the page asking for a
// sign-in speaks the browser's language too.
func TestSimSignInPageFollowsTheBrowsersLanguage(t *testing.T) {
	app, err := New(Deps{Store: storetest.OpenSQLite(t), Coord: coord.NewMemory(), Clock: clock.NewOffset(), Policy: policy.Default(),
		Location: time.UTC, APIToken: "0123456789abcdef", Simulator: true, Console: ConsoleDeps{Locale: "en"}})
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"pt-BR,pt;q=0.9": "Token da API", "en-US,en;q=0.9": "API token"} {
		req := httptest.NewRequest("GET", "/sim", nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 401 || !strings.Contains(string(body), want) || strings.Contains(string(body), "&lt;") {
			t.Errorf("%s: %d, want %q in\n%s", lang, resp.StatusCode, want, body)
		}
	}
}
