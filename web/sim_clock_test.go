package web

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

func TestSimClockToNowIsANoOpAndBackwardsSaysBothTimesInTheBusinessZone(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewOffset()
	app, err := New(Deps{Store: storetest.OpenSQLite(t), Coord: coord.NewMemory(), Clock: clk, Policy: policy.Default(),
		Location: sp, APIToken: "0123456789abcdef", Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	post := func(now string) (int, string) {
		req := httptest.NewRequest("POST", "/v1/sim/clock", strings.NewReader(`{"now":"`+now+`"}`))
		req.Header.Set("Authorization", "Bearer 0123456789abcdef")
		req.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(req, 10000)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	// "Now" as a client writes it (whole seconds) is already in the past
	// when it arrives.
	before := clk.Now()
	if st, body := post(time.Now().UTC().Format(time.RFC3339)); st != 200 || !strings.Contains(body, `"sent":[]`) {
		t.Fatalf("moving to now: %d %s", st, body)
	}
	if d := clk.Now().Sub(before); d < 0 || d > 5*time.Second {
		t.Fatalf("moving to now moved the clock by %v", d)
	}

	// Forward still moves it.
	ahead := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	if st, body := post(ahead.Format(time.RFC3339)); st != 200 {
		t.Fatalf("moving forward: %d %s", st, body)
	}
	if d := clk.Now().Sub(ahead); d < 0 || d > 5*time.Second {
		t.Fatalf("the clock is at %v after moving to %v", clk.Now(), ahead)
	}

	// Back is refused, naming both times in the business zone (-03:00)
	// even though the request was in UTC.
	back := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	st, body := post(back.Format(time.RFC3339))
	var got struct{ Error errorDetail }
	json.Unmarshal([]byte(body), &got)
	if st != 422 || got.Error.Code != "invalid" {
		t.Fatalf("moving back: %d %s", st, body)
	}
	if !strings.Contains(got.Error.Message, back.In(sp).Format(time.RFC3339)) ||
		!strings.Contains(got.Error.Message, ahead.In(sp).Format("2006-01-02T15:04")) || strings.Contains(got.Error.Message, "Z ") {
		t.Fatalf("the refusal should say both times in America/Sao_Paulo: %q", got.Error.Message)
	}
}
