package cloudapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrOutsideWindow matches (with errors.Is) every failure caused by the
// 24-hour customer-service window being closed: Quita's own refusal to send
// free text, and Graph's re-engagement error 131047.
var ErrOutsideWindow = errors.New("outside the 24-hour customer-service window")

// Kind classifies a Graph API failure by what should be done about it.
type Kind string

// The kinds of Graph API failure.
const (
	KindRateLimited   Kind = "rate_limited"   // retry later, slower
	KindWindowClosed  Kind = "window_closed"  // only a template may be sent
	KindInvalidNumber Kind = "invalid_number" // the recipient cannot be reached; never retry
	KindAuth          Kind = "auth"           // the token expired or lacks permission
	KindConfig        Kind = "config"         // the phone number id is wrong
	KindTemplate      Kind = "template"       // the template or its parameters were refused
	KindServer        Kind = "server"         // Meta's side failed; retry
	KindNetwork       Kind = "network"        // no answer from the Graph API; retry
	KindRejected      Kind = "rejected"       // any other refusal; never retry
)

// GraphError is a failed Graph API call, classified. Send returns it
// wrapped in bot.Retryable when Retryable is true.
type GraphError struct {
	Status    int    // HTTP status; 0 when no answer arrived
	Code      int    // error.code
	Subcode   int    // error.error_subcode
	Message   string // error.message, or the network error
	Details   string // error.error_data.details
	TraceID   string // error.fbtrace_id, for Meta support
	Kind      Kind
	Retryable bool
	Err       error // the network error, when Kind is network
}

// Error says what happened in operator terms, then Graph's own words.
func (e *GraphError) Error() string {
	var b strings.Builder
	b.WriteString("cloudapi: ")
	b.WriteString(e.explain())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Details != "" && e.Details != e.Message {
		b.WriteString(" (" + e.Details + ")")
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " [code %d", e.Code)
		if e.Subcode != 0 {
			fmt.Fprintf(&b, "/%d", e.Subcode)
		}
		b.WriteString("]")
	}
	return b.String()
}

func (e *GraphError) explain() string {
	switch e.Kind {
	case KindRateLimited:
		return "rate limited by the Graph API; will retry later"
	case KindWindowClosed:
		return "re-engagement refused: the debtor's 24-hour customer-service window is closed, only an approved template may be sent"
	case KindInvalidNumber:
		if e.Code == 131030 {
			return "invalid number: the recipient is not in the test number's allowed list"
		}
		return "invalid number: the recipient cannot be reached on WhatsApp"
	case KindAuth:
		if e.Code == 190 {
			return "the access token expired or was revoked: create a new one (a System User token does not expire) and put it in the service's configuration"
		}
		return "the access token lacks permission for this phone number: grant whatsapp_business_messaging to its System User"
	case KindConfig:
		return "the phone number id is unknown to the Graph API or not shared with this token: check the configured phone number id"
	case KindTemplate:
		return "the template was refused: check its name, language and parameters in WhatsApp Manager"
	case KindServer:
		return fmt.Sprintf("the Graph API failed (HTTP %d); will retry", e.Status)
	case KindNetwork:
		return "cannot reach the Graph API; will retry"
	}
	return fmt.Sprintf("the Graph API refused the request (HTTP %d)", e.Status)
}

// Unwrap exposes the network error.
func (e *GraphError) Unwrap() error { return e.Err }

// Is makes a window-closed error match ErrOutsideWindow.
func (e *GraphError) Is(target error) bool {
	return target == ErrOutsideWindow && e.Kind == KindWindowClosed
}

// graphErrorBody is the error object of a Graph API answer.
type graphErrorBody struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	Title     string `json:"title"` // in webhook statuses
	TraceID   string `json:"fbtrace_id"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// classify turns a non-2xx Graph answer into a GraphError.
func classify(status int, body []byte) *GraphError {
	var env struct {
		Error graphErrorBody `json:"error"`
	}
	_ = json.Unmarshal(body, &env) // a proxy's HTML error page still has a status
	g := env.Error
	e := &GraphError{Status: status, Code: g.Code, Subcode: g.Subcode, Message: g.Message,
		Details: g.ErrorData.Details, TraceID: g.TraceID}
	if e.Message == "" && g.Code == 0 {
		e.Message = http.StatusText(status)
	}
	e.Kind, e.Retryable = kindOf(status, g)
	return e
}

// kindOf maps an HTTP status and Graph error code to a kind and whether a
// retry may succeed. The codes are Meta's documented Cloud API errors.
func kindOf(status int, g graphErrorBody) (Kind, bool) {
	switch g.Code {
	case 4, 80007, 130429, 131048, 131056:
		// App, WABA, throughput, spam and pair rate limits: all pass.
		return KindRateLimited, true
	case 131047:
		return KindWindowClosed, false
	case 131026, 131030:
		return KindInvalidNumber, false
	case 190:
		// Retryable: the outbox keeps the messages while an operator
		// replaces the token, instead of failing them all at once.
		return KindAuth, true
	case 10, 200:
		return KindAuth, false
	case 100:
		if g.Subcode == 33 {
			return KindConfig, false
		}
		if aboutRecipient(g.Message + " " + g.ErrorData.Details) {
			return KindInvalidNumber, false
		}
		return KindRejected, false
	case 131000, 1, 2:
		// "Something went wrong", unknown and temporary service errors.
		return KindServer, true
	}
	if g.Code >= 132000 && g.Code < 133000 {
		return KindTemplate, false
	}
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited, true
	case status >= 500:
		return KindServer, true
	case status == http.StatusUnauthorized:
		return KindAuth, true
	}
	return KindRejected, false
}

// aboutRecipient spots a code-100 "invalid parameter" that names the
// recipient rather than some other field of the request.
func aboutRecipient(s string) bool {
	s = strings.ToLower(s)
	if strings.Contains(s, "phone number id") {
		return false
	}
	for _, w := range []string{"recipient", "'to'", `"to"`, "wa_id", "whatsapp id", "phone number", "to parameter"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// networkError wraps a failure to get any answer from the Graph API.
func networkError(err error) *GraphError {
	return &GraphError{Message: err.Error(), Kind: KindNetwork, Retryable: true, Err: err}
}
