package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestClassifyLocale: without --locale each line's language is detected
// and printed, "" for a message too short to tell; with --locale that one
// is used and printed (README "Commands").
func TestClassifyLocale(t *testing.T) {
	getenv := func(string) string { return "" }
	lines := func(args []string, in string) []map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"classify"}, args...), getenv, strings.NewReader(in), &out, &errb); code != 0 {
			t.Fatalf("classify %v: exit %d: %s", args, code, errb.String())
		}
		var got []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			got = append(got, m)
		}
		return got
	}
	got := lines(nil, "já paguei ontem\nI already paid yesterday\nya pagué la factura ayer\nok\n")
	for i, want := range []struct{ locale, intent string }{
		{"pt-BR", "already_paid"}, {"en", "already_paid"}, {"es", "already_paid"}, {"", "affirmative"},
	} {
		if got[i]["locale"] != want.locale || got[i]["intent"] != want.intent {
			t.Errorf("line %d: got locale %v intent %v, want %q %s", i, got[i]["locale"], got[i]["intent"], want.locale, want.intent)
		}
	}
	got = lines([]string{"--locale", "en"}, "ok\nI already paid\n")
	for i, m := range got {
		if m["locale"] != "en" {
			t.Errorf("--locale en line %d: locale %v", i, m["locale"])
		}
	}
}
