package cloudapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine/scenario"
	"github.com/quitabot/quita/flows"
)

// scenarioGraph is a permissive fake Graph API for whole scenarios: it
// accepts every well-formed send for the configured number and serves the
// media the debtor "uploaded". The strict, request-by-request checks live
// in the other tests of this package.
type scenarioGraph struct {
	t     testing.TB
	srv   *httptest.Server
	mu    sync.Mutex
	media map[string]*bot.Media
	sent  int
}

func newScenarioGraph(t testing.TB) *scenarioGraph {
	g := &scenarioGraph{t: t, media: map[string]*bot.Media{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *scenarioGraph) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		g.t.Errorf("%s %s without the bearer token", r.Method, r.URL.Path)
		http.Error(w, `{"error":{"code":190,"message":"bad token"}}`, http.StatusUnauthorized)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/"+testVersion+"/"+testPhoneID+"/messages":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["messaging_product"] != "whatsapp" || body["to"] == "" {
			g.t.Errorf("malformed send: %v %v", body, err)
			http.Error(w, `{"error":{"code":100,"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		g.sent++
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.S%d"}]}`, g.sent)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/"+testVersion+"/media-"):
		id := strings.TrimPrefix(r.URL.Path, "/"+testVersion+"/")
		m := g.media[id]
		if m == nil {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"url":%q,"mime_type":%q,"file_size":%d,"id":%q}`, g.srv.URL+"/files/"+id, m.MIME, len(m.Data), id)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/files/"):
		m := g.media[strings.TrimPrefix(r.URL.Path, "/files/")]
		if m == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", m.MIME)
		w.Write(m.Data)
	default:
		g.t.Errorf("unexpected Graph request %s %s", r.Method, r.URL)
		http.Error(w, `{"error":{"code":100,"message":"unexpected"}}`, http.StatusBadRequest)
	}
}

// cloudHarness runs scenarios over the Cloud API adapter: debtor messages
// arrive as signed webhooks, replies leave through the fake Graph API.
type cloudHarness struct {
	graph *scenarioGraph
	tr    *Transport
}

func (h *cloudHarness) Transport(t testing.TB, env scenario.Env) bot.Transport {
	h.graph = newScenarioGraph(t)
	// Reminders reach debtors who have not written in 24 hours: every
	// proactive message has an approved template, as a real set-up must.
	templates := map[string]Template{}
	for _, key := range append(env.Policy.MessageKeys(), flows.ProactiveKeys...) {
		templates[key] = Template{Name: strings.NewReplacer(".", "_", "-", "_").Replace(key)}
	}
	tr, err := New(Config{PhoneNumberID: testPhoneID, AccessToken: testToken, AppSecret: testAppSecret, VerifyToken: testVerifyToken,
		BaseURL: h.graph.srv.URL, APIVersion: testVersion, Templates: templates, Clock: env.Clock, Sink: env.Sink,
		Window: WindowFunc(func(ctx context.Context, phone string) (time.Time, error) {
			return env.Store.LastInbound(ctx, Name, phone)
		})})
	if err != nil {
		t.Fatal(err)
	}
	h.tr = tr
	return tr
}

func (h *cloudHarness) Deliver(ctx context.Context, msg bot.InboundMessage) error {
	m := map[string]any{"from": strings.TrimPrefix(msg.From, "+"), "id": "wamid.IN-" + msg.ExternalID,
		"timestamp": fmt.Sprint(msg.SentAt.Unix())}
	switch {
	case msg.Media != nil:
		id := "media-" + msg.ExternalID
		h.graph.mu.Lock()
		h.graph.media[id] = msg.Media
		h.graph.mu.Unlock()
		sum := sha256.Sum256(msg.Media.Data)
		// Meta names documents, not photos; the fake names both so the
		// transcript matches the simulator's.
		m["type"] = msg.Media.Type
		m[msg.Media.Type] = map[string]any{"id": id, "mime_type": msg.Media.MIME, "sha256": base64.StdEncoding.EncodeToString(sum[:]),
			"filename": msg.Media.Filename, "caption": msg.Text}
	default:
		m["type"] = "text"
		m["text"] = map[string]any{"body": msg.Text}
	}
	inner, err := json.Marshal(map[string]any{"contacts": []any{map[string]any{"wa_id": m["from"], "profile": map[string]any{"name": "Debtor"}}},
		"messages": []any{m}})
	if err != nil {
		return err
	}
	body := notification(value(testPhoneID, strings.TrimSuffix(strings.TrimPrefix(string(inner), "{"), "}")))
	return h.tr.HandleWebhook(ctx, []byte(body), sign(body))
}

// TestScenariosOverTheCloudAPI runs the engine's golden scenarios with the
// Cloud API as the transport: every transcript must be the simulator's.
func TestScenariosOverTheCloudAPI(t *testing.T) {
	for _, file := range scenario.Files(t, "../../engine/testdata/scenarios") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			scenario.Golden(t, file, &cloudHarness{}, false)
		})
	}
}
