// Package coord implements bot.Coordinator: the leased locks, rate limits
// and pub/sub that Quita instances share to stay out of each other's way.
//
// Two implementations keep the same contract, checked by one test suite:
//
//   - Memory serves a single instance in process. Nothing survives a
//     restart and nothing is shared with another process.
//   - Redis serves many instances through one Redis server. Keys carry a
//     prefix ("quita:" unless WithPrefix says otherwise): locks live at
//     <prefix>lock:<key>, rate windows at <prefix>rate:<key>, and pub/sub
//     channels are named <prefix><channel>.
//
// Open picks one from a Redis URL (QUITA_REDIS_URL): empty means Memory.
//
// Both implementations behave alike where callers can tell:
//
//   - A lease is held while now < expiry; at its expiry anybody may take
//     it. Tokens are random, so Refresh and Release act only on the
//     caller's own lease and never extend or delete a newer owner's.
//   - Lock polls TryLock with a small jittered exponential backoff (from
//     2ms, doubling up to 64ms) until it wins or ctx ends.
//   - Allow is a sliding-window log: an accepted event counts against its
//     key until exactly window has passed (it counts while now-t < window).
//     At most limit events are accepted in any window-long interval; refused
//     events are not recorded, so a caller that keeps retrying is not
//     locked out for longer. A limit of zero or less accepts nothing.
//   - Pub/sub is at-most-once fan-out to the subscribers present when a
//     message is published. Each subscription has its own buffer of
//     SubscriptionBuffer messages; when it is full, further messages for
//     that subscriber are dropped (and counted by Dropped) so a slow
//     subscriber never blocks a publisher or the other subscribers.
//
// The package may import the standard library, package bot (for the port
// it implements) and github.com/redis/go-redis/v9; it is the only package
// in Quita that imports go-redis.
package coord
