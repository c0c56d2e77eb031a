package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/quitabot/quita/web"
)

// limitValues are the connection, timeout and stream limits as given
// (QUITA_MAX_CONNS and friends); validate parses them into config.Limits.
type limitValues struct {
	maxConns, maxConnsPerIP, readTimeout, idleTimeout, maxHeaderBytes, maxStreams, maxStreamsPerSession string
}

// limitSettings lists the limits' variables, defaulting to
// web.DefaultLimits so the two cannot drift apart.
func (c *config) limitSettings() []setting {
	d := web.DefaultLimits()
	v := &c.limitValues
	return []setting{
		{"QUITA_MAX_CONNS", strconv.Itoa(d.MaxConns), "connections served at once; more are answered 503", &v.maxConns},
		{"QUITA_MAX_CONNS_PER_IP", strconv.Itoa(d.MaxConnsPerIP), "connections one client address may hold, more are answered 429 (0: no cap; set 0 behind a reverse proxy)", &v.maxConnsPerIP},
		{"QUITA_READ_TIMEOUT", d.ReadTimeout.String(), "time a client has to send a request's headers and body", &v.readTimeout},
		{"QUITA_IDLE_TIMEOUT", d.IdleTimeout.String(), "time a kept-alive connection may wait for its next request", &v.idleTimeout},
		{"QUITA_MAX_HEADER_BYTES", strconv.Itoa(d.MaxHeaderBytes), "largest request line and headers, in bytes; larger is answered 431", &v.maxHeaderBytes},
		{"QUITA_MAX_STREAMS", strconv.Itoa(d.MaxStreams), "open console live-update streams on this instance (0: no cap)", &v.maxStreams},
		{"QUITA_MAX_STREAMS_PER_SESSION", strconv.Itoa(d.MaxStreamsPerSession), "open console live-update streams per signed-in session (0: no cap)", &v.maxStreamsPerSession},
	}
}

// parseLimits fills c.Limits from the values given; every value is
// checked before anything starts.
func (c *config) parseLimits() error {
	v := c.limitValues
	ints := []struct {
		env, val string
		min      int
		dst      *int
	}{
		{"QUITA_MAX_CONNS", v.maxConns, 1, &c.Limits.MaxConns},
		{"QUITA_MAX_CONNS_PER_IP", v.maxConnsPerIP, 0, &c.Limits.MaxConnsPerIP},
		// Below this a browser's ordinary headers (cookies, Accept-*) do not fit.
		{"QUITA_MAX_HEADER_BYTES", v.maxHeaderBytes, 2048, &c.Limits.MaxHeaderBytes},
		{"QUITA_MAX_STREAMS", v.maxStreams, 0, &c.Limits.MaxStreams},
		{"QUITA_MAX_STREAMS_PER_SESSION", v.maxStreamsPerSession, 0, &c.Limits.MaxStreamsPerSession},
	}
	for _, i := range ints {
		n, err := strconv.Atoi(i.val)
		if err != nil || n < i.min {
			return fmt.Errorf("%s: %q is not a whole number of at least %d", i.env, i.val, i.min)
		}
		*i.dst = n
	}
	durations := []struct {
		env, val string
		dst      *time.Duration
	}{
		{"QUITA_READ_TIMEOUT", v.readTimeout, &c.Limits.ReadTimeout},
		{"QUITA_IDLE_TIMEOUT", v.idleTimeout, &c.Limits.IdleTimeout},
	}
	for _, d := range durations {
		t, err := time.ParseDuration(d.val)
		if err != nil || t < time.Second {
			return fmt.Errorf("%s: %q is not a duration of at least 1s, like 10s or 1m", d.env, d.val)
		}
		*d.dst = t
	}
	return nil
}
