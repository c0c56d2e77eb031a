package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
)

// errorBody is the contract's error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// statusOf is the one map from error codes to HTTP statuses.
var statusOf = map[bot.ErrorCode]int{
	bot.CodeMalformed:       http.StatusBadRequest,
	bot.CodeUnauthenticated: http.StatusUnauthorized,
	bot.CodeForbidden:       http.StatusForbidden,
	bot.CodeNotFound:        http.StatusNotFound,
	bot.CodeConflict:        http.StatusConflict,
	bot.CodeTooLarge:        http.StatusRequestEntityTooLarge,
	bot.CodeUnsupported:     http.StatusUnsupportedMediaType,
	bot.CodeInvalid:         http.StatusUnprocessableEntity,
	bot.CodeRateLimited:     http.StatusTooManyRequests,
	bot.CodeUnavailable:     http.StatusServiceUnavailable,
	bot.CodeInternal:        http.StatusInternalServerError,
}

// fiberCodes maps fiber's own errors (routing, body limit) to ours.
var fiberCodes = map[int]bot.ErrorCode{
	http.StatusBadRequest:            bot.CodeMalformed,
	http.StatusUnauthorized:          bot.CodeUnauthenticated,
	http.StatusForbidden:             bot.CodeForbidden,
	http.StatusNotFound:              bot.CodeNotFound,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: bot.CodeTooLarge,
	http.StatusUnprocessableEntity:   bot.CodeInvalid,
	http.StatusTooManyRequests:       bot.CodeRateLimited,
	http.StatusServiceUnavailable:    bot.CodeUnavailable,
	http.StatusRequestTimeout:        "request_timeout",
	// fasthttp reports a request head over Limits.MaxHeaderBytes.
	http.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
}

// errorHandler renders every error as the contract's JSON. Internal
// details are logged, never returned.
func (s *server) errorHandler(c *fiber.Ctx, err error) error {
	var (
		be *bot.Error
		fe *fiber.Error
	)
	status, body := http.StatusInternalServerError, errorDetail{Code: string(bot.CodeInternal), Message: "something went wrong on our side; it has been logged"}
	switch {
	case errors.As(err, &be):
		status = statusOf[be.Code]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		body = errorDetail{Code: string(be.Code), Message: be.Message, Field: be.Field}
	case errors.As(err, &fe):
		status = fe.Code
		code, ok := fiberCodes[fe.Code]
		if !ok {
			code = bot.CodeInternal
		}
		msg := fe.Message
		if fe.Code == http.StatusRequestEntityTooLarge {
			msg = "the request body is larger than the 1 MiB limit"
		}
		if fe.Code == http.StatusRequestHeaderFieldsTooLarge {
			msg = fmt.Sprintf("the request line and headers are larger than the %d byte limit", s.limits.MaxHeaderBytes)
		}
		if fe.Code == http.StatusNotFound {
			msg = "no such route: " + c.Method() + " " + c.Path()
		}
		body = errorDetail{Code: string(code), Message: msg}
	default:
		s.log.Error("request failed", "method", c.Method(), "route", routeOf(c), "err", err)
	}
	// Errors fasthttp raises before any middleware (a head too large, a
	// read timeout) come straight here, so the header is set here too.
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Status(status).JSON(errorBody{Error: body})
}

// routeOf is the matched route pattern, used as a low-cardinality label.
func routeOf(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "" && r.Path != "/" || c.Path() == "/" {
		return c.Route().Path
	}
	return "unmatched"
}

// malformed reports a body that could not be read as JSON.
func malformed(err error) error {
	return bot.Errorf(bot.CodeMalformed, "the request body is not valid JSON: %v", err)
}
