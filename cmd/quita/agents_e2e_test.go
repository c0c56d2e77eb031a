package main

import (
	"strings"
	"testing"
	"time"
)

// TestAgentActionsOverTheAPI drives the API twins of the console: a debtor
// asks for a person, the API token's principal ("api") takes over, replies
// (delivered through the simulator), hands back and resolves; naming
// another agent in the body is refused, since the token is not them.
func TestAgentActionsOverTheAPI(t *testing.T) {
	for name, envFor := range backendEnvs(t) {
		t.Run(name, func(t *testing.T) {
			q := startQuita(t, envFor(t), "--demo")
			maria := "+5511988887777"
			var r inboundResp
			for i, text := range []string{"oi", "sim", "quero falar com uma pessoa"} {
				if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": maria, "text": text, "id": "ag" + string(rune('0'+i))}, &r); st != 200 {
					t.Fatalf("inbound %q: %d", text, st)
				}
			}
			if r.State != "with_agent" {
				t.Fatalf("handoff state %s", r.State)
			}
			conv := "/v1/conversations/" + r.ConversationID
			type convJSON struct{ ID, Status, State, Agent string }
			var c convJSON
			var e apiError

			steps := []struct {
				path   string
				body   any
				status int
				check  func()
			}{
				// The contract's form: with the token it still works, as "api".
				{"/takeover", map[string]string{"agent": "ana"}, 200, func() {
					if c.Agent != "api" || c.State != "with_agent" || c.Status != "open" {
						t.Fatalf("the token naming an agent: %+v", c)
					}
				}},
				{"/takeover", nil, 200, func() {
					if c.Agent != "api" || c.State != "with_agent" || c.Status != "open" {
						t.Fatalf("after takeover: %+v", c)
					}
				}},
				{"/messages", map[string]string{"text": ""}, 422, nil},
				{"/messages", []byte("{not json"), 400, nil},
				{"/messages", map[string]string{"text": "Oi Maria, aqui é a Ana. Como posso ajudar?"}, 200, nil},
				{"/release", map[string]string{"agent": "bia"}, 200, func() {
					if c.Agent != "" || c.State != "menu" {
						t.Fatalf("after release: %+v", c)
					}
				}},
				{"/payments/confirm", nil, 422, nil}, // no receipt awaits confirmation
				{"/resolve", map[string]string{"agent": "api"}, 200, func() {
					if c.Status != "resolved" {
						t.Fatalf("after resolve: %+v", c)
					}
				}},
			}
			for _, s := range steps {
				c, e = convJSON{}, apiError{}
				var out any = &c
				if s.status != 200 {
					out = &e
				}
				if st := q.call("POST", conv+s.path, s.body, out); st != s.status {
					t.Fatalf("POST %s %v: status %d, want %d (%+v)", s.path, s.body, st, s.status, e)
				}
				if s.status != 200 && e.Error.Code == "" {
					t.Fatalf("POST %s: error without the contract's shape", s.path)
				}
				if s.check != nil {
					s.check()
				}
			}
			if st := q.call("POST", "/v1/conversations/cnv_nope/takeover", nil, &e); st != 404 {
				t.Fatalf("unknown conversation: %d", st)
			}

			// The agent's reply reached the debtor, signed.
			var outbox struct{ Messages []struct{ Text string } }
			deadline := time.Now().Add(5 * time.Second)
			found := false
			for !found && time.Now().Before(deadline) {
				q.call("GET", "/v1/sim/outbox?to="+maria, nil, &outbox)
				for _, m := range outbox.Messages {
					found = found || m.Text == "*api* (Quita Demo):\nOi Maria, aqui é a Ana. Como posso ajudar?"
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !found {
				t.Fatalf("agent reply not in the simulator outbox: %+v", outbox.Messages)
			}
			var tr struct {
				Entries []struct{ Author, Text, Direction string }
			}
			q.call("GET", conv+"/transcript", nil, &tr)
			var authors []string
			for _, en := range tr.Entries {
				if strings.HasPrefix(en.Author, "agent:") {
					authors = append(authors, en.Author+" "+en.Direction)
				}
			}
			want := "agent:api system,agent:api system,agent:api out,agent:api system,agent:api system"
			if strings.Join(authors, ",") != want {
				t.Fatalf("agent entries %v, want %s", authors, want)
			}
			var v struct{ OK bool }
			if q.call("GET", conv+"/transcript/verify", nil, &v); !v.OK {
				t.Fatal("transcript chain broken")
			}
		})
	}
}
