package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// BenchmarkHandleInbound measures inbound message → reply committed and
// queued (inbox row, classify, step, one transaction), many debtors in
// parallel, on each backend. Sending is not included.
func BenchmarkHandleInbound(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			st := backend.Open(b)
			r := newRig(b, st, coord.NewMemory())
			var n atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					msg := bot.InboundMessage{Transport: sim.Name, ExternalID: fmt.Sprintf("b%d", i),
						From: fmt.Sprintf("+55119%08d", i%5000), Text: "oi, quanto eu devo?"}
					if _, err := r.engine.HandleInbound(context.Background(), msg); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
