package cloudapi

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// WhatsApp's limits for interactive messages and captions, in characters.
const (
	maxReplyButtons    = 3
	maxButtonTitle     = 20
	maxButtonID        = 256
	maxListRows        = 10
	maxRowTitle        = 24
	maxRowID           = 200
	maxInteractiveBody = 1024
	maxCaption         = 1024
)

// outMessage is the body of POST /{phone-number-id}/messages.
type outMessage struct {
	MessagingProduct string       `json:"messaging_product"`
	RecipientType    string       `json:"recipient_type"`
	To               string       `json:"to"`
	Type             string       `json:"type"`
	Text             *outText     `json:"text,omitempty"`
	Document         *outMedia    `json:"document,omitempty"`
	Image            *outMedia    `json:"image,omitempty"`
	Interactive      *interactive `json:"interactive,omitempty"`
	Template         *outTemplate `json:"template,omitempty"`
	// Callback carries the outbox id; Meta echoes it in status webhooks,
	// which ties a status to its outbox row even if recording the wamid
	// failed.
	Callback string `json:"biz_opaque_callback_data,omitempty"`
}

type outText struct {
	Body string `json:"body"`
}

type outMedia struct {
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type interactive struct {
	Type   string             `json:"type"` // button or list
	Header *interactiveHeader `json:"header,omitempty"`
	Body   textObject         `json:"body"`
	Action interactiveAction  `json:"action"`
}

type interactiveHeader struct {
	Type     string    `json:"type"`
	Document *outMedia `json:"document,omitempty"`
	Image    *outMedia `json:"image,omitempty"`
}

type textObject struct {
	Text string `json:"text"`
}

type interactiveAction struct {
	Buttons  []replyButton `json:"buttons,omitempty"`
	Button   string        `json:"button,omitempty"` // the label that opens a list
	Sections []listSection `json:"sections,omitempty"`
}

type replyButton struct {
	Type  string     `json:"type"`
	Reply buttonText `json:"reply"`
}

type buttonText struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type listSection struct {
	Title string       `json:"title"`
	Rows  []buttonText `json:"rows"`
}

type outTemplate struct {
	Name       string       `json:"name"`
	Language   templateLang `json:"language"`
	Components []component  `json:"components,omitempty"`
}

type templateLang struct {
	Code string `json:"code"`
}

type component struct {
	Type       string      `json:"type"`
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	Document *outMedia `json:"document,omitempty"`
	Image    *outMedia `json:"image,omitempty"`
}

// choice is how a message's buttons are offered.
type choice int

const (
	noButtons    choice = iota
	replyButtons        // up to 3 reply buttons
	list                // a list of up to 10 rows
	numbered            // "1 - Sim" lines in the text
)

// chooseButtons picks the richest form WhatsApp accepts for the buttons.
// Titles are never cut: a title too long for a button moves the choice to
// a list, and one too long for a row to numbered lines, which the NLU
// reads as options. Lists carry no media header, so with media more than
// three buttons become numbered lines in the caption.
func chooseButtons(text string, buttons []bot.Button, withMedia bool) choice {
	if len(buttons) == 0 {
		return noButtons
	}
	if text == "" || utf8.RuneCountInString(text) > maxInteractiveBody {
		return numbered
	}
	fits := func(maxTitle, maxID int) bool {
		for _, b := range buttons {
			n := utf8.RuneCountInString(b.Title)
			if n == 0 || n > maxTitle || b.ID == "" || len(b.ID) > maxID {
				return false
			}
		}
		return true
	}
	switch {
	case len(buttons) <= maxReplyButtons && fits(maxButtonTitle, maxButtonID):
		return replyButtons
	case !withMedia && len(buttons) <= maxListRows && fits(maxRowTitle, maxRowID):
		return list
	}
	return numbered
}

// withNumberedLines appends "N - Title" for each button the text does not
// already show: catalog texts often number their options themselves.
func withNumberedLines(text string, buttons []bot.Button) string {
	present := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		present[strings.TrimSpace(line)] = true
	}
	var b strings.Builder
	b.WriteString(text)
	for i, btn := range buttons {
		line := strconv.Itoa(i+1) + " - " + btn.Title
		if present[line] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(line)
	}
	return b.String()
}

// freeForm builds the message(s) that deliver msg inside the window:
// usually one, two when a caption is too long to carry the text.
func (t *Transport) freeForm(to string, msg bot.OutboundMessage) ([]outMessage, error) {
	base := outMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Callback: msg.ID}
	link, kind, hasMedia := t.mediaLink(msg.Document)
	if msg.Document != nil && !hasMedia {
		// Uploading media to Graph is not supported yet; the text still
		// tells the debtor what they need.
		t.log.Warn("media left out: its URL is relative and no public base URL is configured",
			"to", phone.Mask(msg.To), "url", msg.Document.URL)
	}
	text := msg.Text
	how := chooseButtons(text, msg.Buttons, hasMedia)
	if how == numbered {
		text = withNumberedLines(text, msg.Buttons)
	}
	var media *outMedia
	if hasMedia {
		media = &outMedia{Link: link}
		if kind == "document" {
			media.Filename = msg.Document.Filename
		}
	}
	switch how {
	case replyButtons:
		m := base
		m.Type = "interactive"
		m.Interactive = &interactive{Type: "button", Body: textObject{text}}
		if media != nil {
			h := &interactiveHeader{Type: kind}
			if kind == "image" {
				h.Image = media
			} else {
				h.Document = media
			}
			m.Interactive.Header = h
		}
		for _, b := range msg.Buttons {
			m.Interactive.Action.Buttons = append(m.Interactive.Action.Buttons,
				replyButton{Type: "reply", Reply: buttonText{ID: b.ID, Title: b.Title}})
		}
		return []outMessage{m}, nil
	case list:
		m := base
		m.Type = "interactive"
		label := listLabel(msg.Locale)
		section := listSection{Title: label}
		for _, b := range msg.Buttons {
			section.Rows = append(section.Rows, buttonText{ID: b.ID, Title: b.Title})
		}
		m.Interactive = &interactive{Type: "list", Body: textObject{text},
			Action: interactiveAction{Button: label, Sections: []listSection{section}}}
		return []outMessage{m}, nil
	}
	if media == nil {
		if strings.TrimSpace(text) == "" {
			return nil, errors.New("cloudapi: send: the message has no text and no media Meta can fetch")
		}
		m := base
		m.Type = "text"
		m.Text = &outText{Body: text}
		return []outMessage{m}, nil
	}
	m := base
	m.Type = kind
	var parts []outMessage
	if utf8.RuneCountInString(text) > maxCaption {
		lead := base
		lead.Type = "text"
		lead.Text = &outText{Body: text}
		parts = append(parts, lead)
	} else {
		media.Caption = text
	}
	if kind == "image" {
		m.Image = media
	} else {
		m.Document = media
	}
	return append(parts, m), nil
}
