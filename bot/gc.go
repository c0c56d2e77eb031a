package bot

import (
	"os"
	"runtime/debug"
)

// DefaultGCPercent is the garbage collector's target (GOGC) Quita's
// service runs with when the GOGC variable is unset. Its live heap is
// small (10–40 MiB: policy, catalogs, the NLU model) while a reminder
// pass or an inbound burst allocates fast, so at Go's default of 100 the
// collector ran every 10–15 MiB — 300 cycles in an 8-second pass — and
// its idle-time workers took CPU from the database on the same cores. At
// 400 the heap may reach about five times the live set (well under
// 250 MiB) and a pass needs a quarter of the cycles: 25–30 % less CPU
// (docs/benchmarks.md). GOGC, and GOMEMLIMIT for a hard ceiling, still
// win when set.
const DefaultGCPercent = 400

// TuneGC applies DefaultGCPercent unless GOGC is set, and reports the
// target in force.
func TuneGC() int {
	if v := os.Getenv("GOGC"); v != "" {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent
}
