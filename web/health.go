package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (s *server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.Version})
}

// readyz answers 503 while the database or Redis cannot be reached, so a
// load balancer stops sending traffic to this instance.
func (s *server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ready := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["database"], ready = "unreachable", false
		s.log.Warn("readiness: database unreachable", "err", err)
	} else {
		checks["database"] = "ok"
	}
	if err := s.Coord.Ping(ctx); err != nil {
		checks["coordination"], ready = "unreachable", false
		s.log.Warn("readiness: coordination unreachable", "err", err)
	} else {
		checks["coordination"] = "ok"
	}
	if links := s.linkChecks(); links != nil {
		checks["links"] = links
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{
			"error":  errorDetail{Code: "unavailable", Message: "a dependency is unreachable"},
			"checks": checks,
		})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}

func (s *server) metrics(c *fiber.Ctx) error {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))(c)
}
