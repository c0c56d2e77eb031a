package web

import "github.com/gofiber/fiber/v2"

// agentRoutes registers the API twins of the console's agent actions
// (contract §4.4).
func (s *server) agentRoutes(v1 fiber.Router, auth fiber.Handler) {}
