package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

func TestReadyzReportsAnUnreachableDatabase(t *testing.T) {
	st := storetest.OpenSQLite(t)
	app, err := New(Deps{Store: st, Coord: coord.NewMemory(), Clock: clock.NewOffset(), Policy: policy.Default(),
		Location: time.UTC, APIToken: "0123456789abcdef", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ready while healthy: %v %v", resp.StatusCode, err)
	}
	st.Close()
	resp, err = app.Test(httptest.NewRequest("GET", "/readyz", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		Error  errorDetail
		Checks map[string]string
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	if resp.StatusCode != 503 || got.Error.Code != "unavailable" || got.Checks["database"] != "unreachable" || got.Checks["coordination"] != "ok" {
		t.Fatalf("readyz with the database down: %d %s", resp.StatusCode, body)
	}
	if resp, _ := app.Test(httptest.NewRequest("GET", "/healthz", nil)); resp.StatusCode != 200 {
		t.Fatalf("healthz must stay up while a dependency is down: %d", resp.StatusCode)
	}
}

func TestSimulatorOffRemovesItsRoutes(t *testing.T) {
	app, err := New(Deps{Store: storetest.OpenSQLite(t), Coord: coord.NewMemory(), Clock: clock.NewOffset(),
		Policy: policy.Default(), Location: time.UTC, APIToken: "0123456789abcdef", Simulator: false})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/sim", "/v1/sim/outbox?to=%2B5511988887777"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer 0123456789abcdef")
		resp, _ := app.Test(req)
		if resp.StatusCode != 404 {
			t.Errorf("%s with the simulator off: %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestReadyzReportsUnreachableRedis(t *testing.T) {
	// A Redis client aimed at a port nobody listens on: what a crashed
	// Redis looks like from here.
	dead := coord.NewRedisFromClient(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1}))
	defer dead.Close()
	app, err := New(Deps{Store: storetest.OpenSQLite(t), Coord: dead, Clock: clock.NewOffset(), Policy: policy.Default(),
		Location: time.UTC, APIToken: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.Test(httptest.NewRequest("GET", "/readyz", nil), 5000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"coordination":"unreachable"`) {
		t.Fatalf("readyz with Redis down: %d %s", resp.StatusCode, body)
	}
}

// (Simulator sessions are server-side now: auth_test.go covers them.)
func TestBearerIsCaseInsensitive(t *testing.T) {
	s := &server{Deps: Deps{APIToken: "0123456789abcdef", Simulator: true}}
	for _, h := range []string{"Bearer 0123456789abcdef", "bearer 0123456789abcdef", "BEARER  0123456789abcdef"} {
		if !s.validBearer(h) {
			t.Errorf("%q refused", h)
		}
	}
	for _, h := range []string{"Basic 0123456789abcdef", "Bearer", "0123456789abcdef", "Bearer 0123456789abcdeX"} {
		if s.validBearer(h) {
			t.Errorf("%q accepted", h)
		}
	}
}

func TestCompressedBodiesAreRefusedBeforeAnyoneReadsThem(t *testing.T) {
	app, err := New(Deps{Store: storetest.OpenSQLite(t), Coord: coord.NewMemory(), Clock: clock.NewOffset(), Policy: policy.Default(),
		Location: time.UTC, APIToken: "0123456789abcdef", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	// A gzip bomb: 64 MiB of zeros compress to about 64 KiB.
	var buf strings.Builder
	zw := gzip.NewWriter(&buf)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	for _, path := range []string{"/v1/webhooks/billing", "/v1/sim/inbound", "/v1/invoices"} {
		req := httptest.NewRequest("POST", path, strings.NewReader(buf.String()))
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(req, 10000)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 415 || !strings.Contains(string(body), `"code":"unsupported_media_type"`) {
			t.Errorf("%s with a gzip body: %d %s", path, resp.StatusCode, body)
		}
	}
}
