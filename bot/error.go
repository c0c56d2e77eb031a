package bot

import (
	"errors"
	"fmt"
)

// ErrorCode is the machine-readable kind of a failure. The web layer maps
// each code to one HTTP status; the codes appear verbatim in API errors.
type ErrorCode string

// The error vocabulary shared by every package.
const (
	CodeMalformed       ErrorCode = "malformed_request"
	CodeUnauthenticated ErrorCode = "unauthenticated"
	CodeForbidden       ErrorCode = "forbidden"
	CodeNotFound        ErrorCode = "not_found"
	CodeConflict        ErrorCode = "conflict"
	CodeTooLarge        ErrorCode = "payload_too_large"
	CodeUnsupported     ErrorCode = "unsupported_media_type"
	CodeInvalid         ErrorCode = "invalid"
	CodeRateLimited     ErrorCode = "rate_limited"
	CodeUnavailable     ErrorCode = "unavailable"
	CodeInternal        ErrorCode = "internal"
)

// Error is a failure that is safe to show to an API client: Code says what
// kind, Message says what happened in a human sentence. Field, when set,
// names the offending input field.
type Error struct {
	Code    ErrorCode
	Message string
	Field   string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports a validation failure on one named field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, or
// CodeInternal when there is none.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
