package web

import "github.com/gofiber/fiber/v2"

// ConsoleDeps are the agent console's collaborators.
type ConsoleDeps struct{}

// consoleRoutes registers /console and its pages.
func (s *server) consoleRoutes(app *fiber.App) {}
