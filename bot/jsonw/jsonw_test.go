package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// sameAsEncodingJSON fails t unless Marshal(v) is json.Marshal(v).
func sameAsEncodingJSON(t testing.TB, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, gerr := Marshal(v)
	if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("Marshal(%#v) = %s, %v; encoding/json gives %s, %v", v, got, gerr, want, werr)
	}
}

func TestStringsAsEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and backslash \`, "tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f",
		"<b>&amp;</b>", "pt-BR: não recebi o boleto — R$ 1.234,56 🙂", "line\u2028para\u2029sep",
		"bad \xff utf-8 \xe2\x82", "\xed\xa0\x80 surrogate",
	} {
		sameAsEncodingJSON(t, s)
	}
}

func TestValuesAsEncodingJSON(t *testing.T) {
	for _, v := range []any{
		nil, true, false, 0, -42, int64(1) << 62, []string{"a", "<b>"}, []string(nil), []any{"x", 1, true, nil},
		map[string]string{"b": "2", "a": "1", "<": ">"}, map[string]any(nil), map[string]string(nil),
		map[string]any{"type": "reminder.sent", "created_at": "2026-12-05T10:00:00-03:00",
			"data": map[string]any{"invoice_ids": []string{"INV-1"}, "steps": map[string]string{"INV-1": "d-3"},
				"identity_check": true, "amount_cents": int64(5000), "ratio": 0.5, "at": time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)}},
		3.25, struct{ A int }{1}, // through encoding/json
	} {
		sameAsEncodingJSON(t, v)
	}
}

func TestUnsupportedValuesFailAsEncodingJSON(t *testing.T) {
	sameAsEncodingJSON(t, map[string]any{"ch": make(chan int)})
}

func FuzzStringAsEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<&>", "\u2028", "\xff", "não"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameAsEncodingJSON(t, s)
		sameAsEncodingJSON(t, map[string]any{s: []string{s}, "k": map[string]string{s: s}})
	})
}
