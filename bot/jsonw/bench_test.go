package jsonw

import (
	"encoding/json"
	"testing"
)

// eventPayload is a reminder.sent event as the engine builds it.
func eventPayload() map[string]any {
	return map[string]any{"type": "reminder.sent", "created_at": "2026-11-30T10:00:00-03:00",
		"data": map[string]any{"conversation_id": "cnv_01M92BZ3SX1WH9NDPVHGAC6WH5", "customer_id": "cus_0000001",
			"identity_check": true, "invoice_ids": []string{"INV-0000001-0", "INV-0000001-1"}, "phone": "+5511900000001",
			"step": "d-3", "steps": map[string]string{"INV-0000001-0": "d-3", "INV-0000001-1": "d-3"}, "tone": "friendly"}}
}

func BenchmarkEventPayload(b *testing.B) {
	v := eventPayload()
	b.Run("jsonw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = Marshal(v)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(v)
		}
	})
}
