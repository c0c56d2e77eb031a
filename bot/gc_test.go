package bot

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	if got := TuneGC(); got != DefaultGCPercent || debug.SetGCPercent(DefaultGCPercent) != DefaultGCPercent {
		t.Fatalf("GOGC unset: target %d, want %d", got, DefaultGCPercent)
	}
	// GOGC set: the runtime read it at start; TuneGC leaves the target alone.
	debug.SetGCPercent(150)
	t.Setenv("GOGC", "150")
	if got := TuneGC(); got != 150 || debug.SetGCPercent(150) != 150 {
		t.Fatalf("GOGC=150: target %d", got)
	}
}
