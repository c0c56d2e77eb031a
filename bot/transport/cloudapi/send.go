package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// Send implements bot.Transport. Inside the debtor's 24-hour window it
// sends msg as written; outside it, the approved template configured for
// msg.Key, or nothing: free text outside the window is never attempted.
// A message sent before under the same outbox id is not sent again.
func (t *Transport) Send(ctx context.Context, msg bot.OutboundMessage) (string, error) {
	if id, ok := t.sentBefore(msg.ID); ok {
		return id, nil
	}
	to := strings.TrimPrefix(msg.To, "+")
	if !strings.HasPrefix(msg.To, "+") || to == "" || strings.Trim(to, "0123456789") != "" {
		return "", fmt.Errorf("cloudapi: send: invalid number: %q is not E.164", phone.Mask(msg.To))
	}
	last, err := t.cfg.Window.LastInbound(ctx, msg.To)
	if err != nil {
		return "", bot.Retryable(fmt.Errorf("cloudapi: send: read the 24-hour window: %w", err))
	}
	now := t.cfg.Clock.Now()
	open := !last.IsZero() && now.Sub(last) < CustomerServiceWindow-windowMargin
	var id string
	if open {
		id, err = t.sendFreeForm(ctx, to, msg)
		if errors.Is(err, ErrOutsideWindow) && t.hasTemplate(msg.Key) {
			// Meta counts the window from its own clock and records; when it
			// says closed, the template is still lawful.
			t.log.Info("window closed at Meta, sending the template", "to", phone.Mask(msg.To), "key", msg.Key)
			id, err = t.sendTemplate(ctx, to, msg)
		}
	} else {
		id, err = t.sendTemplate(ctx, to, msg)
	}
	if err != nil {
		var ge *GraphError
		if errors.As(err, &ge) && ge.Retryable {
			return "", bot.Retryable(err)
		}
		return "", err
	}
	t.remember(msg.ID, id)
	return id, nil
}

func (t *Transport) hasTemplate(key string) bool {
	_, ok := t.cfg.Templates[key]
	return key != "" && ok
}

// sendFreeForm sends msg as text, media or interactive message. A caption
// too long for WhatsApp goes as a text message first, then the media; the
// text's id is returned since the text is what the debtor must read.
func (t *Transport) sendFreeForm(ctx context.Context, to string, msg bot.OutboundMessage) (string, error) {
	parts, err := t.freeForm(to, msg)
	if err != nil {
		return "", err
	}
	var first string
	for i, p := range parts {
		id, err := t.post(ctx, p)
		if err != nil {
			return "", err
		}
		if i == 0 {
			first = id
		}
	}
	return first, nil
}

func (t *Transport) sendTemplate(ctx context.Context, to string, msg bot.OutboundMessage) (string, error) {
	body, err := t.template(to, msg)
	if err != nil {
		return "", err
	}
	return t.post(ctx, body)
}

// post sends one message and returns its wamid.
func (t *Transport) post(ctx context.Context, body outMessage) (string, error) {
	var answer struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := t.postJSON(ctx, "/"+t.cfg.PhoneNumberID+"/messages", body, &answer); err != nil {
		return "", err
	}
	if len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
		// Accepted but unnamed: retrying could deliver it twice, and without
		// an id its receipts cannot be matched, so it is reported as failed.
		return "", errors.New("cloudapi: send: the Graph API answered without a message id")
	}
	t.log.Debug("message sent", "to", phone.Mask("+"+body.To), "type", body.Type, "wamid", answer.Messages[0].ID)
	return answer.Messages[0].ID, nil
}

// template builds the template message standing in for msg outside the
// window.
func (t *Transport) template(to string, msg bot.OutboundMessage) (outMessage, error) {
	tpl, ok := t.cfg.Templates[msg.Key]
	if msg.Key == "" || !ok {
		what := fmt.Sprintf("no approved template is configured for message key %q", msg.Key)
		if msg.Key == "" {
			what = "the message has no catalog key (an agent's or free text) and so no template"
		}
		return outMessage{}, fmt.Errorf("cloudapi: send to %s: %w and %s", phone.Mask(msg.To), ErrOutsideWindow, what)
	}
	lang := tpl.Language
	if lang == "" {
		lang = templateLanguage(msg.Locale)
	}
	body := outTemplate{Name: tpl.Name, Language: templateLang{Code: lang}}
	if tpl.HeaderMedia {
		link, kind, ok := t.mediaLink(msg.Document)
		if !ok {
			return outMessage{}, fmt.Errorf("cloudapi: send: template %s needs a header document and message %q has none Meta can fetch", tpl.Name, msg.Key)
		}
		p := parameter{Type: kind}
		if kind == "image" {
			p.Image = &outMedia{Link: link}
		} else {
			p.Document = &outMedia{Link: link, Filename: msg.Document.Filename}
		}
		body.Components = append(body.Components, component{Type: "header", Parameters: []parameter{p}})
	}
	if len(tpl.Params) > 0 {
		c := component{Type: "body"}
		for _, name := range tpl.Params {
			v, ok := msg.Params[name]
			if !ok {
				return outMessage{}, fmt.Errorf("cloudapi: send: template %s needs parameter %q, which message %q does not carry", tpl.Name, name, msg.Key)
			}
			c.Parameters = append(c.Parameters, parameter{Type: "text", Text: templateText(v)})
		}
		body.Components = append(body.Components, c)
	}
	return outMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: "template",
		Template: &body, Callback: msg.ID}, nil
}

// templateText fits a value to WhatsApp's rules for template parameters:
// no newlines or tabs, no more than four spaces in a row, not empty.
func templateText(v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return "-"
	}
	return v
}

// mediaLink is the URL Meta should fetch m from and whether it is image or
// document. A relative URL ("/v1/media/ID") needs PublicBaseURL; without
// it the media cannot be sent by link and ok is false.
func (t *Transport) mediaLink(m *bot.Media) (link, kind string, ok bool) {
	if m == nil || m.URL == "" {
		return "", "", false
	}
	kind = "document"
	if m.Type == "image" {
		kind = "image"
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return "", "", false
	}
	if u.IsAbs() {
		return m.URL, kind, true
	}
	if t.cfg.PublicBaseURL == "" {
		return "", "", false
	}
	path := "/" + strings.TrimLeft(m.URL, "/")
	if t.cfg.SignPath != nil {
		path = t.cfg.SignPath(path)
	}
	return strings.TrimRight(t.cfg.PublicBaseURL, "/") + path, kind, true
}

// sentBefore returns the wamid of an outbox message this process already
// sent: the outbox may hand it over again when recording the send failed.
func (t *Transport) sentBefore(outboxID string) (string, bool) {
	if outboxID == "" {
		return "", false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.sent[outboxID]
	return id, ok
}

func (t *Transport) remember(outboxID, wamid string) {
	if outboxID == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.sentOrder) >= sentMemory {
		delete(t.sent, t.sentOrder[0])
		t.sentOrder = t.sentOrder[1:]
	}
	t.sent[outboxID] = wamid
	t.sentOrder = append(t.sentOrder, outboxID)
}
