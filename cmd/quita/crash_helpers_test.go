package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quitabot/quita/cmd/quitabench/loadgen"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
	"github.com/quitabot/quita/webhooks"
)

// The crash tests run the real binary as a child process, so it can be
// killed with SIGKILL — no deferred function, no graceful drain — and
// restarted on the same database.

const (
	crashToken  = "crash-test-token-0123456789"
	crashSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// buildQuita builds this package's binary into a temporary directory.
func buildQuita(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the quita binary")
	}
	bin := filepath.Join(t.TempDir(), "quita")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashBackend is a database (and coordinator) the child processes share.
type crashBackend struct {
	name, databaseURL, redisURL string
}

// crashBackends lists SQLite, and PostgreSQL + Redis when both test URLs
// are set (CI sets them).
func crashBackends() []string {
	bs := []string{"sqlite"}
	if os.Getenv(storetest.EnvDatabaseURL) != "" && os.Getenv("QUITA_TEST_REDIS_URL") != "" {
		bs = append(bs, "postgres+redis")
	}
	return bs
}

// newCrashBackend makes a fresh database: a SQLite file, or a throwaway
// PostgreSQL schema next to Redis.
func newCrashBackend(t *testing.T, name string) crashBackend {
	if name == "sqlite" {
		return crashBackend{name: name, databaseURL: storetest.SQLiteURL(t)}
	}
	return crashBackend{name: name, databaseURL: storetest.PostgresURL(t), redisURL: os.Getenv("QUITA_TEST_REDIS_URL")}
}

// env is a child's configuration; policy is the YAML written to QUITA_CONFIG.
func (b crashBackend) env(t *testing.T, policy string) map[string]string {
	path := filepath.Join(t.TempDir(), "quita.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"QUITA_ADDR": "127.0.0.1:0", "QUITA_DATABASE_URL": b.databaseURL, "QUITA_REDIS_URL": b.redisURL,
		"QUITA_API_TOKEN": crashToken, "QUITA_WEBHOOK_SECRET": crashSecret, "QUITA_SIMULATOR": "on",
		"QUITA_WHATSAPP": "off", "QUITA_CONFIG": path, "QUITA_LOG_LEVEL": "info",
	}
}

// unprocessed counts inbox rows stored but never processed, read straight
// from the database.
func (b crashBackend) unprocessed(t *testing.T) int {
	t.Helper()
	st, err := store.Open(context.Background(), b.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.UnprocessedInbound(context.Background(), time.Now().AddDate(1, 0, 0), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// proc is one child `quita serve`.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
	client *http.Client
}

// startProc starts bin with env and waits until it listens.
func startProc(t *testing.T, name, bin string, env map[string]string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{}),
		client: &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{
			Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}}
	p.cmd = exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUITA_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)
	deadline := time.After(60 * time.Second)
	for p.base == "" {
		if m := listening.FindStringSubmatch(p.stdout.String()); m != nil {
			p.base = m[1]
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before listening: %s", name, p.stderr.String())
		case <-deadline:
			t.Fatalf("%s did not listen within 60s: %s", name, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.client.CloseIdleConnections()
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(40 * time.Second):
		p.t.Errorf("%s did not stop within 40s of SIGTERM", p.name)
		p.kill()
	}
}

// replayed sums the "replayed unprocessed messages handled=N" log lines.
func (p *proc) replayed() int {
	n := 0
	for _, m := range regexp.MustCompile(`replayed unprocessed messages"? handled=(\d+)`).FindAllStringSubmatch(p.stderr.String(), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}

// do makes an authenticated API request and decodes the JSON answer into
// out. Unlike instance.call it returns transport errors: a killed process
// is expected to cut requests.
func (p *proc) do(method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, p.base+path, r)
	req.Header.Set("Authorization", "Bearer "+crashToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: not JSON: %v: %s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode, nil
}

// must is do that fails the test on any error.
func (p *proc) must(method, path string, body, out any) {
	p.t.Helper()
	if _, err := p.do(method, path, body, out); err != nil {
		p.t.Fatal(err)
	}
}

// phoneBlock returns a random three-digit block so each run's phones (and
// their Redis lock keys) are its own: +55119 BBB nnnnn.
func phoneBlock() int {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return 100 + (int(b[0])<<8|int(b[1]))%900
}

func debtorPhone(block, d int) string { return fmt.Sprintf("+55119%03d%05d", block, d) }

// seedInvoices creates one open invoice due on due for each phone, through
// the signed billing webhook.
func seedInvoices(t *testing.T, p *proc, phones []string, due string) {
	t.Helper()
	secret, err := webhooks.ParseSecret(crashSecret)
	if err != nil {
		t.Fatal(err)
	}
	runParallel(len(phones), 8, func(i int) {
		body := fmt.Sprintf(`{"type":"invoice.created","data":{"invoice_id":"INV-%s","customer":{"id":"C-%s","name":"Devedor %d Silva","phone":%q,"locale":"pt-BR"},"amount_cents":15990,"currency":"BRL","due_date":%q,"description":"Internet 300MB"}}`,
			phones[i][1:], phones[i][1:], i, phones[i], due)
		id, now := "seed-"+phones[i], time.Now()
		req, _ := http.NewRequest("POST", p.base+"/v1/webhooks/billing", strings.NewReader(body))
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", webhooks.Sign(secret, id, now, []byte(body)))
		resp, err := p.client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("seeding %s: %d", phones[i], resp.StatusCode)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

// runParallel calls fn(0..n-1) from workers goroutines.
func runParallel(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// crashMsg is one debtor message of a crash or two-instance run. Its text
// carries its id, so its transcript entry can be told from every other.
type crashMsg struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
}

// inboundAnswer is what POST /v1/sim/inbound answered for a message.
type inboundAnswer struct {
	ConversationID string `json:"conversation_id"`
	Replies        []struct {
		Text string `json:"text"`
	} `json:"replies"`
	Duplicate bool `json:"duplicate"`
}

func (a *inboundAnswer) texts() []string {
	out := make([]string, len(a.Replies))
	for i, r := range a.Replies {
		out[i] = r.Text
	}
	return out
}

// crashMessages spreads n messages of the quitabench mix over phones.
func crashMessages(run string, phones []string, n int) []crashMsg {
	msgs := make([]crashMsg, n)
	for i := range msgs {
		id := fmt.Sprintf("%s-%d", run, i)
		msgs[i] = crashMsg{ID: id, From: phones[i%len(phones)],
			Text: fmt.Sprintf("%s (ref %s)", loadgen.Mix[(i/len(phones))%len(loadgen.Mix)], id)}
	}
	return msgs
}

// transcriptEntry is the part of a transcript entry the checks read.
type transcriptEntry struct {
	Seq       int64  `json:"seq"`
	Direction string `json:"direction"`
	Author    string `json:"author"`
	Text      string `json:"text"`
	Status    string `json:"status"`
}

// checkExactlyOnce asserts, debtor by debtor and only through the API,
// that the phone has one conversation; every message has exactly one
// inbound transcript entry, followed by exactly the replies its answer
// listed (one reply sequence: none lost, none repeated); every reply was
// sent and is in the simulator outbox exactly once; and the transcript's
// hash chain verifies. answers[i] is message i's answer.
func checkExactlyOnce(t *testing.T, p *proc, msgs []crashMsg, answers []*inboundAnswer) {
	t.Helper()
	byPhone := map[string][]int{}
	var phones []string
	for i, m := range msgs {
		if byPhone[m.From] == nil {
			phones = append(phones, m.From)
		}
		byPhone[m.From] = append(byPhone[m.From], i)
	}
	var problems atomic.Int64
	report := func(format string, args ...any) {
		if problems.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	runParallel(len(phones), 4, func(k int) {
		ph := phones[k]
		var list struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		if _, err := p.do("GET", "/v1/conversations?phone="+url.QueryEscape(ph), nil, &list); err != nil || len(list.Conversations) != 1 {
			report("%s: %d conversations (%v), want 1", ph, len(list.Conversations), err)
			return
		}
		id := list.Conversations[0].ID
		var tr struct {
			Entries []transcriptEntry `json:"entries"`
		}
		if _, err := p.do("GET", "/v1/conversations/"+id+"/transcript?format=json", nil, &tr); err != nil {
			report("%s: %v", ph, err)
			return
		}
		byText := map[string]int{}
		for _, i := range byPhone[ph] {
			byText[msgs[i].Text] = i
		}
		seen := map[int]int{}
		sequences := map[int][]string{}
		current := -1
		// A proactive turn (a promise follow-up, a claim review, a
		// reminder) starts with a system entry: its messages answer no
		// inbound one; they are checked once, in the outbox below.
		const proactive = -2
		var proactiveTexts []string
		for _, e := range tr.Entries {
			switch {
			case e.Direction == "system" && (strings.HasPrefix(e.Text, "reminder ") || strings.HasPrefix(e.Text, "promise.missed ")):
				current = proactive
			case e.Direction == "out" && e.Author == "bot" && current == proactive:
				proactiveTexts = append(proactiveTexts, e.Text)
			case e.Direction == "in":
				i, ok := byText[e.Text]
				if !ok {
					report("%s: inbound entry %d %q was never sent", ph, e.Seq, e.Text)
				}
				seen[i]++
				current = i
			case e.Direction == "out" && e.Author == "bot":
				sequences[current] = append(sequences[current], e.Text)
				if e.Status != "sent" {
					report("%s: reply %d is %q, not sent", ph, e.Seq, e.Status)
				}
			}
		}
		wantOutbox := append([]string{}, proactiveTexts...)
		for _, i := range byPhone[ph] {
			if seen[i] != 1 {
				report("%s: message %s has %d inbound entries, want 1", ph, msgs[i].ID, seen[i])
				continue
			}
			want, got := answers[i].texts(), sequences[i]
			wantOutbox = append(wantOutbox, want...)
			if len(got) != len(want) {
				report("%s: message %s: %d replies in the transcript, the answer listed %d: %q", ph, msgs[i].ID, len(got), len(want), got)
				continue
			}
			for j := range got {
				// The outbox text adds the numbered buttons to the entry's text.
				if !strings.HasPrefix(want[j], got[j]) {
					report("%s: message %s reply %d: transcript %q, answer %q", ph, msgs[i].ID, j, got[j], want[j])
				}
			}
		}
		if sequences[-1] != nil {
			report("%s: %d bot messages before the first inbound one", ph, len(sequences[-1]))
		}
		var outbox struct {
			Messages []struct{ Text string } `json:"messages"`
		}
		if _, err := p.do("GET", "/v1/sim/outbox?to="+url.QueryEscape(ph), nil, &outbox); err != nil {
			report("%s: %v", ph, err)
			return
		}
		gotOutbox := make([]string, len(outbox.Messages))
		for i, m := range outbox.Messages {
			gotOutbox[i] = m.Text
		}
		slices.Sort(gotOutbox)
		slices.Sort(wantOutbox)
		if !slices.Equal(gotOutbox, wantOutbox) {
			report("%s: the simulator delivered %d messages, the replies were %d", ph, len(gotOutbox), len(wantOutbox))
		}
		verifyChain(p, id, len(tr.Entries), report)
	})
	if n := problems.Load(); n > 0 {
		t.Fatalf("%d problems across %d debtors", n, len(phones))
	}
}

// verifyChain asks the service to verify a transcript's hash chain.
func verifyChain(p *proc, conversationID string, entries int, report func(string, ...any)) {
	var v struct {
		OK        bool   `json:"ok"`
		Entries   int    `json:"entries"`
		BrokenSeq int64  `json:"broken_seq"`
		Reason    string `json:"reason"`
	}
	if _, err := p.do("GET", "/v1/conversations/"+conversationID+"/transcript/verify", nil, &v); err != nil {
		report("%s: verify: %v", conversationID, err)
		return
	}
	if !v.OK || (entries >= 0 && v.Entries != entries) {
		report("%s: chain broken at %d (%s), %d entries", conversationID, v.BrokenSeq, v.Reason, v.Entries)
	}
}

// sendInbound posts a message, making up to attempts tries while the
// request fails in transport or with a 5xx answer.
func sendInbound(p *proc, m crashMsg, attempts int) (*inboundAnswer, error) {
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		var a inboundAnswer
		var status int
		if status, err = p.do("POST", "/v1/sim/inbound", m, &a); err == nil {
			return &a, nil
		}
		if status >= 400 && status < 500 {
			return nil, err
		}
		if attempt+1 < attempts {
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
	}
	return nil, err
}
