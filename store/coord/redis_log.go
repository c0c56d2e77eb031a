package coord

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// libraryLog takes go-redis's own log lines, which it otherwise prints to
// stderr with the standard logger ("redis: … failed to dial after 5
// attempts", once per pool retry) ahead of the one line that says why
// start-up failed. The same failures reach Quita as errors, which it
// reports itself; the library's lines go to the service log at debug level.
var libraryLog = &redisLogger{}

func init() { redis.SetLogger(libraryLog) }

// SetLibraryLogger sends go-redis's internal log lines to log at debug
// level (nil drops them). go-redis has one process-wide logger, so this is
// too.
func SetLibraryLogger(log *slog.Logger) { libraryLog.log.Store(log) }

type redisLogger struct{ log atomic.Pointer[slog.Logger] }

// Printf implements go-redis's internal.Logging.
func (r *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if l := r.log.Load(); l != nil {
		l.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
	}
}
