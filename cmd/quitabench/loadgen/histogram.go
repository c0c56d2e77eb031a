package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a recorded value is off by at most 1/64 (1.6 %) — HDR histogram
// style, in constant memory however many requests are recorded.
const subBits = 6

// numBuckets covers 0 to 2^40 µs (about 12 days), far past any latency the
// tool waits for.
const numBuckets = (40 - subBits + 1) << subBits

// Histogram records latencies in microseconds into log-linear buckets. The
// zero value is ready to use. It is not safe for concurrent use: each
// worker keeps its own and Merge combines them.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64 // µs
	min    uint64  // µs, valid when n > 0
	max    uint64  // µs
}

// bucketOf maps a value to its bucket: values below 2^subBits exactly, then
// 2^subBits buckets for each power of two.
func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1
	i := (e+1)<<subBits + int(v>>uint(e)) - 1<<subBits
	if i >= numBuckets {
		return numBuckets - 1
	}
	return i
}

// bucketHigh is the largest value that lands in bucket i.
func bucketHigh(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	e := uint(i>>subBits - 1)
	low := uint64(i&(1<<subBits-1)+1<<subBits) << e
	return low + (1 << e) - 1
}

// Record adds one latency; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d / time.Microsecond)
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Merge adds o's records to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the latency at or below which a fraction q (0..1] of
// the records lie, as the highest value of the bucket holding that rank
// (never above the recorded maximum).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := bucketHigh(i)
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return time.Duration(v) * time.Microsecond
		}
	}
	return time.Duration(h.max) * time.Microsecond
}

// Max is the largest recorded latency.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// Mean is the average recorded latency.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum/float64(h.n)) * time.Microsecond
}
