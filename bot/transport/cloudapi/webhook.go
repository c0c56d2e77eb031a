package cloudapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// VerifyChallenge answers Meta's GET subscription check
// (hub.mode, hub.verify_token, hub.challenge): the challenge is echoed
// only for mode "subscribe" and the configured verify token.
func (t *Transport) VerifyChallenge(mode, token, challenge string) (string, bool) {
	if mode != "subscribe" || subtle.ConstantTimeCompare([]byte(token), []byte(t.cfg.VerifyToken)) != 1 {
		return "", false
	}
	return challenge, true
}

// HandleWebhook checks the X-Hub-Signature-256 header value over the raw
// body, then hands the messages to the Sink and reports the statuses. It
// fails (so Meta delivers again) only when the Sink fails; the Sink
// ignores what it stored before, so a redelivery is harmless.
func (t *Transport) HandleWebhook(ctx context.Context, body []byte, signature string) error {
	if err := t.checkSignature(body, signature); err != nil {
		return err
	}
	var hook webhook
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&hook); err != nil {
		return bot.Errorf(bot.CodeInvalid, "cloudapi: webhook body is not a Cloud API notification: %v", err)
	}
	if hook.Object != "whatsapp_business_account" {
		t.log.Debug("webhook ignored: not a WhatsApp Business Account notification", "object", hook.Object)
		return nil
	}
	for _, entry := range hook.Entry {
		for _, change := range entry.Changes {
			if change.Field != "messages" {
				t.log.Debug("webhook change ignored", "field", change.Field)
				continue
			}
			if err := t.handleValue(ctx, change.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSignature verifies "sha256=<hex HMAC-SHA256(app secret, body)>".
func (t *Transport) checkSignature(body []byte, signature string) error {
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if signature == "" {
		return bot.Errorf(bot.CodeUnauthenticated, "cloudapi: webhook: the X-Hub-Signature-256 header is missing")
	}
	got, err := hex.DecodeString(hexSum)
	if !ok || err != nil {
		return bot.Errorf(bot.CodeUnauthenticated, "cloudapi: webhook: the X-Hub-Signature-256 header is not sha256=<hex>")
	}
	mac := hmac.New(sha256.New, []byte(t.cfg.AppSecret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return bot.Errorf(bot.CodeUnauthenticated, "cloudapi: webhook: the signature does not match the app secret")
	}
	return nil
}

// handleValue processes one change: messages first, then statuses.
func (t *Transport) handleValue(ctx context.Context, v changeValue) error {
	if v.Metadata.PhoneNumberID != t.cfg.PhoneNumberID {
		// Several numbers may share one app and one webhook URL.
		t.log.Debug("webhook for another phone number ignored", "phone_number_id", v.Metadata.PhoneNumberID)
		return nil
	}
	number := ""
	if d := v.Metadata.DisplayPhoneNumber; d != "" {
		number, _ = phone.Normalize("+"+strings.TrimPrefix(d, "+"), "")
	}
	t.webhookSeen(number)
	for _, e := range v.Errors {
		t.log.Warn("cloud api reported an error", "code", e.Code, "title", e.Title, "details", e.ErrorData.Details)
	}
	// Message by message: one the Sink refuses is recorded as refused and
	// the rest of the batch still goes in. A failure that may pass (the
	// database is down) fails the delivery after the others were tried, so
	// Meta redelivers; what was stored is then a no-op.
	var retry error
	for _, m := range v.Messages {
		msg, ok := t.inbound(ctx, m)
		if !ok {
			continue
		}
		err := t.cfg.Sink.Receive(ctx, msg)
		switch {
		case err == nil:
		case permanent(err):
			t.refused(ctx, msg, err)
		case retry == nil:
			retry = fmt.Errorf("cloudapi: webhook: store message %s: %w", msg.ExternalID, err)
		}
	}
	if retry != nil {
		return retry
	}
	for _, s := range v.Statuses {
		r, ok := t.report(s)
		if !ok {
			continue
		}
		if err := t.cfg.Sink.Report(ctx, r); err != nil {
			return fmt.Errorf("cloudapi: webhook: record status of %s: %w", s.ID, err)
		}
	}
	return nil
}

// permanent reports whether the Sink refused a message for what it is
// (redelivering it would be refused again) rather than for a passing fault.
func permanent(err error) bool {
	code := bot.ErrorCodeOf(err)
	return code == bot.CodeInvalid || code == bot.CodeMalformed
}

// refused records in place of msg that a message came and why it was
// refused, under an id derived from the original so a redelivery records
// nothing twice. If even that fails the batch still goes on: a message
// refused for what it is cannot be stored by trying again.
func (t *Transport) refused(ctx context.Context, msg bot.InboundMessage, why error) {
	t.log.Warn("webhook message refused; recorded as refused", "from", phone.Mask(msg.From), "err", why)
	sum := sha256.Sum256([]byte(msg.ExternalID))
	placeholder := bot.InboundMessage{Transport: Name, ExternalID: "refused." + hex.EncodeToString(sum[:16]), From: msg.From,
		SentAt: msg.SentAt, Kind: bot.InboundRefused, Text: refusalReason(why)}
	if err := t.cfg.Sink.Receive(ctx, placeholder); err != nil {
		t.log.Error("refused webhook message not recorded", "from", phone.Mask(msg.From), "err", err)
	}
}

// refusalReason is the safe part of a refusal for the transcript: the
// error's message, without the content that caused it.
func refusalReason(err error) string {
	var be *bot.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return "it was not accepted"
}

// inbound turns a webhook message into the engine's form; ok is false for
// one that cannot be attributed to a phone number.
func (t *Transport) inbound(ctx context.Context, m inMessage) (bot.InboundMessage, bool) {
	from, err := phone.Normalize("+"+strings.TrimPrefix(m.From, "+"), "")
	if err != nil || m.ID == "" {
		t.log.Warn("webhook message ignored: no usable sender or id", "id", m.ID, "err", err)
		return bot.InboundMessage{}, false
	}
	now := t.cfg.Clock.Now()
	msg := bot.InboundMessage{Transport: Name, ExternalID: m.ID, From: from, SentAt: now}
	if !m.Timestamp.IsZero() {
		msg.SentAt = m.Timestamp.Time
	}
	if now.Sub(msg.SentAt) > t.cfg.MaxReplyAge {
		// Meta redelivers for days after an outage; answering a week-old
		// "yes" would be wrong, recording it is right.
		msg.Kind = bot.InboundHistory
	}
	if m.Context != nil {
		msg.Reply = m.Context.ID
	}
	switch m.Type {
	case "text":
		if m.Text != nil {
			msg.Text = m.Text.Body
		}
	case "button": // a template's quick-reply button
		if m.Button != nil {
			msg.Text = m.Button.Text
		}
	case "interactive":
		switch {
		case m.Interactive != nil && m.Interactive.ButtonReply != nil:
			msg.Text = m.Interactive.ButtonReply.Title
		case m.Interactive != nil && m.Interactive.ListReply != nil:
			msg.Text = m.Interactive.ListReply.Title
		default:
			msg.Media = &bot.Media{Type: "interactive"}
		}
	case "reaction":
		// A 👍 on "1 - Sim / 2 - Não" is an answer; the reaction quotes the
		// message it reacts to.
		if m.Reaction == nil || m.Reaction.Emoji == "" {
			t.log.Debug("reaction removal ignored", "id", m.ID)
			return bot.InboundMessage{}, false
		}
		msg.Text, msg.Reply = m.Reaction.Emoji, m.Reaction.MessageID
	case "image", "document":
		msg.Media, msg.Text = t.fetchMedia(ctx, m.Type, m.media())
	case "audio", "video", "sticker":
		in := m.media()
		msg.Media = &bot.Media{Type: m.Type, MIME: in.MIMEType, SHA256: hexSHA256(in.SHA256)}
		msg.Text = in.Caption
	default:
		// Location, contacts, orders, unsupported: recorded so the
		// transcript shows something arrived.
		msg.Media = &bot.Media{Type: m.Type}
	}
	return msg, true
}

// fetchMedia downloads an image or document. A failed download still
// delivers the message (without bytes) so the conversation goes on and an
// agent sees that a file arrived.
func (t *Transport) fetchMedia(ctx context.Context, typ string, in inMedia) (*bot.Media, string) {
	media := &bot.Media{Type: typ, MIME: in.MIMEType, Filename: in.Filename, SHA256: hexSHA256(in.SHA256)}
	if in.ID == "" {
		return media, in.Caption
	}
	data, info, err := t.download(ctx, in.ID)
	if info.FileSize > 0 {
		media.Size = int64(info.FileSize)
	}
	if err != nil {
		t.log.Warn("media download failed; message kept without it", "media_id", in.ID, "err", err)
		return media, in.Caption
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if media.SHA256 != "" && media.SHA256 != got {
		t.log.Warn("media hash differs from Meta's; keeping the bytes received", "media_id", in.ID)
	}
	media.Data, media.SHA256, media.Size = data, got, int64(len(data))
	if media.MIME == "" {
		media.MIME = info.MIMEType
	}
	return media, in.Caption
}

// report turns a webhook status into a delivery report; ok is false for
// statuses Quita does not track (deleted, warnings).
func (t *Transport) report(s inStatus) (bot.DeliveryReport, bool) {
	status := map[string]string{"sent": bot.DeliverySent, "delivered": bot.DeliveryDelivered,
		"read": bot.DeliveryRead, "failed": bot.DeliveryFailed}[s.Status]
	if status == "" || s.ID == "" {
		t.log.Debug("status ignored", "status", s.Status, "wamid", s.ID)
		return bot.DeliveryReport{}, false
	}
	r := bot.DeliveryReport{Transport: Name, ExternalID: s.ID, Status: status, At: s.Timestamp.Time}
	if r.At.IsZero() {
		r.At = t.cfg.Clock.Now()
	}
	if status == bot.DeliveryFailed {
		r.Reason = "failed without a reason from Meta"
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			r.Reason = firstNonEmpty(e.Title, e.Message) + " (code " + strconv.Itoa(e.Code) + ")"
			if e.ErrorData.Details != "" {
				r.Reason += ": " + e.ErrorData.Details
			}
		}
	}
	return r, true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// hexSHA256 turns Meta's hash of a file (base64 in the Cloud API, hex in
// some older payloads) into the lowercase hex Quita stores; anything else
// is dropped rather than stored in a second format.
func hexSHA256(s string) string {
	if b, err := hex.DecodeString(s); err == nil && len(b) == sha256.Size {
		return strings.ToLower(s)
	}
	if b, err := decodeBase64(s); err == nil && len(b) == sha256.Size {
		return hex.EncodeToString(b)
	}
	return ""
}

// unixTime reads Meta's timestamps: unix seconds as a string (or, to be
// lenient, a number).
type unixTime struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (u *unixTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not unix seconds", s)
	}
	u.Time = time.Unix(sec, 0).UTC()
	return nil
}
