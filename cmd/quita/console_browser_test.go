package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quitabot/quita/store/storetest"
)

// tinyPNG is a 1×1 image standing in for a photographed receipt.
const tinyPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// browserFor starts headless Chromium for t, or skips t when there is no
// Chromium outside CI (CI=true must run the browser tests: .ci/run
// installs the package).
func browserFor(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if os.Getenv("CI") == "" {
			t.Skip("chromium is not installed (apt-get install chromium); CI runs this test")
		} else {
			t.Fatalf("CI=%s but chromium is not installed at %s", os.Getenv("CI"), chromiumPath)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "pt-BR"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser on the long-lived context
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions with a deadline, failing t with what was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves the page as docs/console-NAME.png when
// QUITA_UPDATE_SCREENSHOTS is set (the README shows them), else in a
// temporary directory; either way it must be a real PNG.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 5000 {
		t.Fatalf("screenshot %s is not a PNG of a page (%d bytes)", name, len(png))
	}
	dir := t.TempDir()
	if os.Getenv("QUITA_UPDATE_SCREENSHOTS") != "" {
		dir = filepath.Join("..", "..", "docs")
	}
	if err := os.WriteFile(filepath.Join(dir, "console-"+name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserConsoleTakeoverReplyAndLiveTranscript drives the console in
// headless Chromium against a running Quita: an agent signs in, opens the
// conversation of a debtor who asked for a person, takes it over, replies
// (the reply reaches the simulator's outbox), hands it back, and sees the
// debtor's next message appear without reloading the page.
func TestBrowserConsoleTakeoverReplyAndLiveTranscript(t *testing.T) {
	ctx := browserFor(t)
	env := map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_API_TOKEN": "browser-test-token-0123456789",
		"QUITA_WHATSAPP": "off"}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"agent", "add", "ana", "--role", "admin", "--password-stdin"}, getenv,
		strings.NewReader("ana-secret-password\n"), &out, &errOut); code != 0 {
		t.Fatalf("agent add: %d %s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"agent", "list"}, getenv, strings.NewReader(""), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "ana") || !strings.Contains(out.String(), "admin") {
		t.Fatalf("agent list: %d %s %s", code, out.String(), errOut.String())
	}
	q := startQuita(t, env, "--demo")
	maria := "+5511988887777"
	var r inboundResp
	for i, text := range []string{"oi", "sim", "quero falar com uma pessoa"} {
		if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": maria, "text": text, "id": "br" + string(rune('0'+i))}, &r); st != 200 {
			t.Fatalf("inbound %q: %d", text, st)
		}
	}
	conv := r.ConversationID
	// Two more debtors, so the inbox shows what else waits for agents: a
	// dispute, and a receipt to confirm.
	others := []struct{ from, text string }{{"+5521977776666", "oi"}, {"+5521977776666", "sim"},
		{"+5521977776666", "não reconheço esse valor, está errado"}, {"+5511966665555", "hi"}, {"+5511966665555", "yes"},
		{"+5511966665555", "I already paid it yesterday"}}
	for i, m := range others {
		q.call("POST", "/v1/sim/inbound", map[string]string{"from": m.from, "text": m.text, "id": "other" + string(rune('a'+i))}, nil)
	}
	receipt := map[string]any{"from": "+5511966665555", "id": "other-receipt", "text": "here is the receipt",
		"media": map[string]string{"type": "image", "mime": "image/png", "filename": "receipt.png", "data_base64": tinyPNG}}
	q.call("POST", "/v1/sim/inbound", receipt, nil)

	// Sign in through the form, arriving from a deep link.
	step(t, ctx, "open the console",
		chromedp.Navigate(q.base+"/console/c/"+conv),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	screenshot(t, ctx, "login")
	step(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("name"), "ana"),
		chromedp.SendKeys(chromedp.ID("password"), "ana-secret-password"),
		chromedp.Click(chromedp.ID("signIn")),
		chromedp.WaitVisible(chromedp.ID("log")),
	)
	step(t, ctx, "the inbox lists the conversation that needs an agent",
		chromedp.Navigate(q.base+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`a[data-conversation="`+conv+`"]`)),
	)
	screenshot(t, ctx, "inbox")
	step(t, ctx, "open the conversation and take it over",
		chromedp.Click(chromedp.CSS(`a[data-conversation="`+conv+`"]`)),
		chromedp.WaitVisible(chromedp.ID("takeover")),
		chromedp.Click(chromedp.ID("takeover")),
		chromedp.WaitVisible(chromedp.ID("release")),
	)
	reply := "Oi Maria, aqui é a Ana. Vou te ajudar com a fatura."
	step(t, ctx, "reply as the agent",
		chromedp.SendKeys(chromedp.ID("replyText"), reply),
		chromedp.Click(chromedp.ID("sendReply")),
		chromedp.WaitVisible(chromedp.CSS(".banner.ok")),
		chromedp.WaitVisible(chromedp.CSS("li.e.out.agent")),
	)
	var outbox struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	deadline := time.Now().Add(10 * time.Second)
	found := false
	for !found && time.Now().Before(deadline) {
		q.call("GET", "/v1/sim/outbox?to="+url.QueryEscape(maria), nil, &outbox)
		for _, m := range outbox.Messages {
			found = found || strings.Contains(m.Text, reply)
		}
		if !found {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !found {
		t.Fatalf("the agent's reply is not in the simulator outbox: %+v", outbox.Messages)
	}
	screenshot(t, ctx, "conversation")
	step(t, ctx, "hand back to the bot",
		chromedp.Click(chromedp.ID("release")),
		chromedp.WaitVisible(chromedp.ID("takeover")),
	)

	// A mark that a reload would wipe out.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument = true`)); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "let the live stream connect", chromedp.Sleep(700*time.Millisecond))
	if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": maria, "text": "obrigada, vou ver aqui", "id": "br-live"}, &r); st != 200 {
		t.Fatalf("live inbound: %d", st)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](
		`Array.from(document.querySelectorAll("#log li.e.in")).some(function (e) { return e.textContent.indexOf("obrigada, vou ver aqui") >= 0 })`,
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("the debtor's new message did not appear live: %v", err)
	}
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument === true`))
	if err != nil || !same {
		t.Fatalf("the page reloaded to show the message (same document: %v, %v)", same, err)
	}
	step(t, ctx, "the bot's answer follows live too", chromedp.Poll[chromedp.Void](
		`document.querySelectorAll("#log li.e").length > 0 && document.querySelector("#log li.e:last-child").classList.contains("out")`,
		chromedp.WithPollingTimeout(15*time.Second)))
	screenshot(t, ctx, "live")

	// The same page on a phone.
	step(t, ctx, "phone-sized conversation",
		chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("replyText")),
	)
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth + 1`))
	if err != nil || !wide {
		t.Fatalf("the conversation page scrolls sideways at 375 px (%v)", err)
	}
	screenshot(t, ctx, "mobile")
	step(t, ctx, "phone-sized inbox", chromedp.Navigate(q.base+"/console"), chromedp.WaitVisible(chromedp.ID("inboxList")))
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth + 1`)); err != nil || !wide {
		t.Fatalf("the inbox scrolls sideways at 375 px (%v)", err)
	}
}

// TestBrowserConsoleLiveAcrossInstances shows a debtor's message live on a
// console served by another instance than the one that handled it: the
// engine announces turns through Redis pub/sub. It needs PostgreSQL and
// Redis (CI sets both).
func TestBrowserConsoleLiveAcrossInstances(t *testing.T) {
	if os.Getenv(storetest.EnvDatabaseURL) == "" || os.Getenv("QUITA_TEST_REDIS_URL") == "" {
		t.Skip(storetest.EnvDatabaseURL + " and QUITA_TEST_REDIS_URL are needed for two instances")
	}
	ctx := browserFor(t)
	env := map[string]string{"QUITA_DATABASE_URL": storetest.PostgresURL(t), "QUITA_REDIS_URL": os.Getenv("QUITA_TEST_REDIS_URL"),
		"QUITA_API_TOKEN": "browser-test-token-0123456789", "QUITA_WHATSAPP": "off"}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"agent", "add", "bia", "--password-stdin"}, getenv,
		strings.NewReader("bia-secret-password\n"), &out, &errOut); code != 0 {
		t.Fatalf("agent add: %d %s", code, errOut.String())
	}
	envB := map[string]string{}
	for k, v := range env {
		envB[k] = v
	}
	a := startQuita(t, env, "--demo")
	b := startQuita(t, envB)
	john := "+5511966665555"
	var r inboundResp
	if st := b.call("POST", "/v1/sim/inbound", map[string]string{"from": john, "text": "hi", "id": "x1"}, &r); st != 200 {
		t.Fatalf("inbound on B: %d", st)
	}
	step(t, ctx, "sign in on instance A",
		chromedp.Navigate(a.base+"/console/c/"+r.ConversationID),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("name"), "bia"),
		chromedp.SendKeys(chromedp.ID("password"), "bia-secret-password"),
		chromedp.Click(chromedp.ID("signIn")),
		chromedp.WaitVisible(chromedp.ID("log")),
		chromedp.Sleep(700*time.Millisecond),
	)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument = true`)); err != nil {
		t.Fatal(err)
	}
	if st := b.call("POST", "/v1/sim/inbound", map[string]string{"from": john, "text": "yes, it is me", "id": "x2"}, &r); st != 200 {
		t.Fatalf("second inbound on B: %d", st)
	}
	// Well within the stream's 10 s safety poll: only pub/sub is that fast.
	pctx, cancel := context.WithTimeout(ctx, 6*time.Second)
	defer cancel()
	if _, err := chromedp.Run(pctx, chromedp.Poll[bool](
		`window.__sameDocument === true && Array.from(document.querySelectorAll("#log li.e.in")).some(function (e) { return e.textContent.indexOf("yes, it is me") >= 0 })`,
		chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("a message handled by instance B did not appear live on A: %v", err)
	}
}
