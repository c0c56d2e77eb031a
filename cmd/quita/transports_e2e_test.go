package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/transport/cloudapi"
	"github.com/quitabot/quita/store/storetest"
)

// fakeGraph is the smallest Graph API that accepts sends and records them.
// It answers only under version (default: cloudapi.DefaultAPIVersion),
// so a test sees which version the service calls.
type fakeGraph struct {
	version string
	mu      sync.Mutex
	sent    []map[string]any
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	version := f.version
	if version == "" {
		version = cloudapi.DefaultAPIVersion
	}
	if r.Method != http.MethodPost || r.URL.Path != "/"+version+"/106540352242922/messages" || r.Header.Get("Authorization") != "Bearer graph-token" {
		http.Error(w, `{"error":{"message":"unexpected request","code":100}}`, http.StatusBadRequest)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"error":{"message":"bad json","code":100}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, body)
	n := len(f.sent)
	f.mu.Unlock()
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"%v","wa_id":"%v"}],"messages":[{"id":"wamid.OUT%d"}]}`, body["to"], body["to"], n)
}

func (f *fakeGraph) texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.sent {
		if t, ok := b["text"].(map[string]any); ok {
			out = append(out, fmt.Sprint(t["body"]))
		} else if i, ok := b["interactive"].(map[string]any); ok {
			out = append(out, fmt.Sprint(i["body"].(map[string]any)["text"]))
		}
	}
	return out
}

// TestCloudAPIEndToEnd configures the Cloud API against a fake Graph API:
// Meta's subscription check, a signed inbound message answered through the
// Cloud API, a delivery status moving the transcript entry, and a forged
// signature refused.
func TestCloudAPIEndToEnd(t *testing.T) {
	// A version other than the default, set as an operator would: the
	// replies below only arrive if the calls go to /v25.0/.
	graph := &fakeGraph{version: "v25.0"}
	srv := httptest.NewServer(graph)
	defer srv.Close()
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t),
		"QUITA_CLOUDAPI_PHONE_NUMBER_ID": "106540352242922", "QUITA_CLOUDAPI_TOKEN": "graph-token", "QUITA_CLOUDAPI_APP_SECRET": "app-secret",
		"QUITA_CLOUDAPI_VERIFY_TOKEN": "verify-me", "QUITA_CLOUDAPI_BASE_URL": srv.URL, "QUITA_CLOUDAPI_API_VERSION": "v25.0"}, "--demo")
	if logs := q.stdout.String() + q.stderr.String(); strings.Contains(logs, "api_version") {
		t.Errorf("v25.0 (served until 2028-07-29) warned at start:\n%s", logs)
	}

	resp, err := http.Get(q.base + "/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "1158201444" {
		t.Fatalf("verify challenge: %d %q", resp.StatusCode, body)
	}
	if resp, _ := http.Get(q.base + "/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"); resp.StatusCode != 403 {
		t.Fatalf("wrong verify token: %d", resp.StatusCode)
	}

	post := func(payload, secret string) int {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(payload))
		req, _ := http.NewRequest("POST", q.base+"/v1/webhooks/whatsapp", strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	value := func(inner string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
			`"metadata":{"display_phone_number":"551140001234","phone_number_id":"106540352242922"},` + inner + `}}]}]}`
	}
	msg := value(fmt.Sprintf(`"contacts":[{"profile":{"name":"Maria"},"wa_id":"5511988887777"}],`+
		`"messages":[{"from":"5511988887777","id":"wamid.IN1","timestamp":"%d","type":"text","text":{"body":"oi, quanto devo?"}}]`, time.Now().Unix()))
	if st := post(msg, "forged-secret"); st != 401 {
		t.Fatalf("forged signature: %d", st)
	}
	if st := post(msg, "app-secret"); st != 200 {
		t.Fatalf("signed message: %d", st)
	}
	if st := post(msg, "app-secret"); st != 200 { // Meta redelivers: a no-op
		t.Fatalf("redelivery: %d", st)
	}
	var texts []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(texts) < 2; time.Sleep(20 * time.Millisecond) {
		texts = graph.texts()
	}
	// The greeting, then the identity question: nothing about the debt yet.
	if all := strings.Join(texts, "\n"); len(texts) != 2 || !strings.Contains(all, "falo com Maria?") || strings.Contains(all, "R$") {
		t.Fatalf("reply through the Cloud API: %q", texts)
	}

	var list struct{ Conversations []struct{ ID, Phone string } }
	q.call("GET", "/v1/conversations?phone=%2B5511988887777", nil, &list)
	if len(list.Conversations) != 1 {
		t.Fatalf("conversations: %+v", list)
	}
	transcript := func() []struct{ Direction, Status, Text string } {
		var tr struct {
			Entries []struct{ Direction, Status, Text string }
		}
		q.call("GET", "/v1/conversations/"+list.Conversations[0].ID+"/transcript", nil, &tr)
		return tr.Entries
	}
	if st := post(value(fmt.Sprintf(`"statuses":[{"id":"wamid.OUT1","status":"read","timestamp":"%d","recipient_id":"5511988887777"}]`,
		time.Now().Unix())), "app-secret"); st != 200 {
		t.Fatalf("status webhook: %d", st)
	}
	var outStatus string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && outStatus != "read"; time.Sleep(20 * time.Millisecond) {
		for _, e := range transcript() {
			if e.Direction == "out" { // the first reply went out as wamid.OUT1
				outStatus = e.Status
				break
			}
		}
	}
	if outStatus != "read" {
		t.Fatalf("status of the reply after a read receipt: %q", outStatus)
	}
	ins := 0
	for _, e := range transcript() {
		if e.Direction == "in" {
			ins++
		}
	}
	if ins != 1 {
		t.Fatalf("the redelivered message was recorded %d times", ins)
	}
	var ready struct {
		Checks struct {
			Links []struct{ Transport, State string }
		}
	}
	q.call("GET", "/readyz", nil, &ready)
	if len(ready.Checks.Links) != 1 || ready.Checks.Links[0].Transport != "cloudapi" || ready.Checks.Links[0].State != "connected" {
		t.Fatalf("readyz links: %+v", ready.Checks.Links)
	}
}

// TestServeWithWhatsAppOnAndNoNetwork: the link cannot connect here, and
// the service keeps serving the simulator while reporting the link state,
// without a log line per retry.
func TestServeWithWhatsAppOnAndNoNetwork(t *testing.T) {
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_WHATSAPP": "on"}, "--demo")
	var r inboundResp
	if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": "oi", "id": "w1"}, &r); st != 200 || len(r.Replies) == 0 {
		t.Fatalf("simulator with WhatsApp on: %d %+v", st, r)
	}
	time.Sleep(3 * time.Second)
	var ready struct {
		Status string
		Checks struct {
			Links []struct{ Transport, State, Detail string }
		}
	}
	if st := q.call("GET", "/readyz", nil, &ready); st != 200 || ready.Status != "ready" {
		t.Fatalf("readyz: %d %+v", st, ready)
	}
	if len(ready.Checks.Links) == 0 || ready.Checks.Links[0].Transport != "whatsapp" || ready.Checks.Links[0].Detail == "" {
		t.Fatalf("readyz does not report the WhatsApp link: %+v", ready.Checks.Links)
	}
	if st := ready.Checks.Links[0].State; st == "connected" {
		t.Fatalf("link reported connected without network")
	}
	if n := strings.Count(q.stderr.String(), "transport link"); n > 5 {
		t.Fatalf("%d link log lines in 3 s: %s", n, q.stderr.String())
	}
}

// TestCloudAPIVersionNearItsEndWarnsAtStart: v21.0, the old default, is
// turned off by Meta on 2027-01-21; a service configured with it says so
// in its log at start, naming the variable to change.
func TestCloudAPIVersionNearItsEndWarnsAtStart(t *testing.T) {
	if time.Now().Before(time.Date(2027, time.January, 21, 0, 0, 0, 0, time.UTC).Add(-90 * 24 * time.Hour)) {
		t.Skip("v21.0 is more than 90 days from its end of life on this clock")
	}
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t),
		"QUITA_CLOUDAPI_PHONE_NUMBER_ID": "106540352242922", "QUITA_CLOUDAPI_TOKEN": "graph-token", "QUITA_CLOUDAPI_APP_SECRET": "app-secret",
		"QUITA_CLOUDAPI_VERIFY_TOKEN": "verify-me", "QUITA_CLOUDAPI_BASE_URL": "http://127.0.0.1:9", "QUITA_CLOUDAPI_API_VERSION": "v21.0"})
	logs := q.stdout.String() + q.stderr.String()
	if !strings.Contains(logs, "api_version=v21.0") || !strings.Contains(logs, "end of life") || !strings.Contains(logs, "QUITA_CLOUDAPI_API_VERSION") {
		t.Fatalf("no end-of-life warning for v21.0 at start:\n%s", logs)
	}
	if code := run(context.Background(), []string{"serve"}, func(k string) string {
		return map[string]string{"QUITA_CLOUDAPI_PHONE_NUMBER_ID": "1", "QUITA_CLOUDAPI_TOKEN": "t", "QUITA_CLOUDAPI_APP_SECRET": "s",
			"QUITA_CLOUDAPI_VERIFY_TOKEN": "v", "QUITA_CLOUDAPI_API_VERSION": "26", "QUITA_DATABASE_URL": storetest.SQLiteURL(t)}[k]
	}, strings.NewReader(""), io.Discard, io.Discard); code == 0 {
		t.Fatal("QUITA_CLOUDAPI_API_VERSION=26 was accepted")
	}
}
