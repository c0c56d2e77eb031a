package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
	"github.com/quitabot/quita/locales"
)

// messagePayload is what an outbox message item carries to the sender.
type messagePayload struct {
	Text     string       `json:"text"`
	Buttons  []bot.Button `json:"buttons,omitempty"`
	Document *bot.Media   `json:"document,omitempty"`
	About    []string     `json:"about,omitempty"` // invoices a proactive message is about
	// Key, Params and Locale name the first part's catalog message, for
	// transports that must send pre-approved templates.
	Key    string            `json:"key,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	Locale string            `json:"locale,omitempty"`
}

// DecodeMessage reads an outbox message item back into a message.
func DecodeMessage(item bot.OutboxItem) (bot.OutboundMessage, error) {
	var p messagePayload
	if err := json.Unmarshal(item.Payload, &p); err != nil {
		return bot.OutboundMessage{}, fmt.Errorf("engine: outbox %s payload: %w", item.ID, err)
	}
	return bot.OutboundMessage{ID: item.ID, ConversationID: item.ConversationID, To: item.Recipient,
		Text: p.Text, Buttons: p.Buttons, Document: p.Document, Key: p.Key, Params: p.Params, Locale: p.Locale,
		Proactive: len(p.About) > 0}, nil
}

// render turns a flow reply into text in the debtor's locale. Every
// message may name the creditor and its contact, so both are always
// available to templates.
func (e *Engine) render(locale string, r flows.Reply) (bot.OutboundMessage, error) {
	lines := make([]string, 0, len(r.Parts))
	msg := bot.OutboundMessage{Locale: locale}
	for i, p := range r.Parts {
		args := e.formatArgs(locale, p.Args)
		text, err := e.cfg.Catalog.Text(locale, p.Key, args)
		if err != nil {
			return bot.OutboundMessage{}, err
		}
		// The template key is the cadence step's message when the reply
		// carries one (a reminder opens with a greeting), else the first
		// part's. The parameters are every part's own arguments and the
		// creditor's name: what a template can take, without bloating
		// every outbox row with the policy's contact details.
		if i == 0 || e.cadenceKeys[p.Key] {
			msg.Key = p.Key
		}
		if msg.Params == nil {
			msg.Params = map[string]string{"company": args["company"]}
		}
		for k := range p.Args {
			if _, seen := msg.Params[k]; !seen {
				msg.Params[k] = args[k]
			}
		}
		lines = append(lines, text)
	}
	msg.Text = strings.Join(lines, "\n")
	if d := r.Document; d != nil {
		msg.Document = &bot.Media{Type: "document", MIME: "application/pdf", URL: d.URL, Filename: d.Filename}
	}
	for _, b := range r.Buttons {
		title, err := e.cfg.Catalog.Text(locale, b.Key, e.formatArgs(locale, nil))
		if err != nil {
			return bot.OutboundMessage{}, err
		}
		msg.Buttons = append(msg.Buttons, bot.Button{ID: b.ID, Title: title})
	}
	return msg, nil
}

func (e *Engine) formatArgs(locale string, args flows.Args) map[string]string {
	out := make(map[string]string, len(args)+2)
	out["company"] = e.cfg.Policy.Company.Name
	out["contact"] = e.contact(locale)
	out["company_document"] = e.companyDocument
	for k, v := range args {
		switch v := v.(type) {
		case string:
			out[k] = v
		case int:
			out[k] = strconv.Itoa(v)
		case flows.Money:
			out[k] = locales.Money(locale, int64(v))
		case flows.Date:
			out[k] = locales.ShortDate(locale, string(v))
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// contact is how a debtor reaches a person at the creditor: phone, else
// e-mail, else website, else this very chat.
func (e *Engine) contact(locale string) string {
	c := e.cfg.Policy.Company
	for _, v := range []string{c.ContactPhone, c.Email, c.Website} {
		if v != "" {
			return v
		}
	}
	// No other channel configured: this conversation is the channel.
	if text, err := e.cfg.Catalog.Text(locale, "contact.this_channel", nil); err == nil {
		return text
	}
	return c.Name
}

// aboutOf reads the invoices a proactive outbox message is about.
func aboutOf(item bot.OutboxItem) []string {
	var p messagePayload
	if json.Unmarshal(item.Payload, &p) != nil {
		return nil
	}
	return p.About
}

// pixQR renders a Pix code as a QR image and stores it, for the message
// that explains how to pay. Without a QR encoder configured there is none.
func (e *Engine) pixQR(ctx context.Context, code string) (*bot.Media, error) {
	if e.cfg.QRCode == nil {
		return nil, nil
	}
	png, err := e.cfg.QRCode(code)
	if err != nil {
		return nil, fmt.Errorf("engine: pix qr: %w", err)
	}
	m, err := e.cfg.Store.SaveMedia(ctx, bot.Media{Type: "image", MIME: "image/png", Filename: "pix-qr.png", Data: png})
	if err != nil {
		return nil, err
	}
	m.Data = nil
	return &m, nil
}
