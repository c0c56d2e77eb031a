package whatsapp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// errUnresolvedLID is a sender known only by a LID with no phone number in
// the message or the LID store.
var errUnresolvedLID = errors.New("whatsapp: LID without a known phone number")

// maxDownloadAttempts is how often a message whose media download failed
// transiently is left unacknowledged (and so redelivered) before it is
// recorded without its bytes.
const maxDownloadAttempts = 3

// handle is the whatsmeow event handler of one session. Its result is
// whatsmeow's "success status": false leaves the message or receipt
// unacknowledged (client.go dispatchEvent, message.go decryptMessages,
// receipt.go maybeDeferredAck), so the server delivers it again.
func (l *line) handle(cli client, evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		return l.onMessage(cli, e)
	case *events.UndecryptableMessage:
		return l.onUndecryptable(cli, e)
	case *events.Receipt:
		return l.onReceipt(cli, e)
	case *events.HistorySync:
		l.onHistory(cli, e)
		return true
	}
	if l.isCurrent(cli) {
		if a := l.onConnEvent(cli, evt); a.kind != actNone {
			l.post(a)
		}
	}
	return true
}

func (l *line) onMessage(cli client, e *events.Message) bool {
	ctx, cancel := context.WithTimeout(l.t.ctx, receiveTimeout)
	defer cancel()
	msg, ok, err := l.mapMessage(ctx, cli, e, false)
	if err != nil {
		l.logger().Warn("whatsapp message not accepted yet; it will be redelivered", "id", e.Info.ID, "err", err)
		l.post(action{kind: actReconnect})
		return false
	}
	if !ok {
		return true
	}
	return l.deliver(ctx, msg)
}

// deliver hands msg to the Sink. On failure the message stays
// unacknowledged and the session is restarted, since WhatsApp redelivers
// unacknowledged messages on the next connection.
func (l *line) deliver(ctx context.Context, msg bot.InboundMessage) bool {
	if err := l.t.cfg.Sink.Receive(ctx, msg); err != nil {
		if msg.Kind == bot.InboundUndecryptable {
			// whatsmeow acknowledged it (with a retry receipt) before the
			// event: a reconnect would not bring it back.
			l.logger().Warn("whatsapp undecryptable message not recorded", "id", msg.ExternalID, "err", err)
			return false
		}
		l.logger().Warn("whatsapp message not stored; it will be redelivered", "id", msg.ExternalID, "err", err)
		l.post(action{kind: actReconnect})
		return false
	}
	l.noteChat(ctx, msg.From, msg.Kind != bot.InboundOperator)
	return true
}

// noteChat records the route, so replies and reminders keep coming from
// this number; heard says the debtor wrote to it (an existing chat, which
// the 463 pause lets through).
func (l *line) noteChat(ctx context.Context, from string, heard bool) {
	dev := l.device()
	if heard {
		l.mu.Lock()
		l.heard[from] = true
		l.mu.Unlock()
	}
	if dev == "" {
		return
	}
	routes := l.t.cfg.Routes
	if cur, err := routes.Route(ctx, from); err == nil && cur == dev {
		return
	}
	if err := routes.SetRoute(ctx, from, dev); err != nil {
		l.logger().Warn("whatsapp route not recorded", "debtor", phone.Mask(from), "err", err)
	}
}

// mapMessage turns a whatsmeow message into an inbound message; ok is false
// for what is not a debtor conversation (groups, status, our own echoes,
// protocol messages). A non-nil error means "try again later".
func (l *line) mapMessage(ctx context.Context, cli client, e *events.Message, history bool) (bot.InboundMessage, bool, error) {
	info := e.Info
	if !personalChat(info.MessageSource) {
		return bot.InboundMessage{}, false, nil
	}
	if info.IsFromMe {
		if isOwnMessageID(cli.IDKey(), info.ID) {
			return bot.InboundMessage{}, false, nil // our own send, echoed
		}
		if info.Sender.Device == 0 {
			l.sawPhone(ctx)
		}
	}
	from, pn, err := l.peer(ctx, cli, info.MessageSource)
	if errors.Is(err, errUnresolvedLID) {
		// No number to file it under, and inventing one would open a
		// conversation with a stranger: log it and let it go.
		l.logger().Warn("whatsapp message from an unresolved LID dropped", "id", info.ID, "lid", info.Sender.User)
		return bot.InboundMessage{}, false, nil
	} else if err != nil {
		return bot.InboundMessage{}, false, err
	}
	if from == "" || pn.User == cli.OwnJID().User {
		return bot.InboundMessage{}, false, nil // not a phone number, or a note to self
	}
	text, media, dl, reply := content(e.Message)
	if text == "" && media == nil {
		return bot.InboundMessage{}, false, nil
	}
	sent := info.Timestamp
	if sent.IsZero() {
		sent = l.t.cfg.Clock.Now()
	}
	msg := bot.InboundMessage{Transport: Name, ExternalID: info.ID, From: from, Text: text, Media: media,
		SentAt: sent, Reply: reply}
	switch {
	case history:
		msg.Kind = bot.InboundHistory
	case info.IsFromMe:
		msg.Kind = bot.InboundOperator
	case l.t.cfg.Clock.Now().Sub(sent) > l.t.cfg.MaxReplyAge:
		msg.Kind = bot.InboundHistory
	}
	if dl != nil && !history {
		if err := l.download(ctx, cli, info.ID, dl, media); err != nil {
			return bot.InboundMessage{}, false, err
		}
	}
	l.t.rememberJID(from, pn)
	return msg, true, nil
}

// personalChat reports whether a message belongs to a one-to-one chat.
func personalChat(src types.MessageSource) bool {
	if src.IsGroup {
		return false
	}
	switch src.Chat.Server {
	case types.DefaultUserServer, types.HiddenUserServer, types.LegacyUserServer:
		return true
	}
	return false
}

// peer resolves the other party of a one-to-one chat to E.164. Incoming,
// that is the sender; sent from our phone, the chat. A LID is resolved by
// the phone number the server sent along (SenderAlt/RecipientAlt), which
// is stored as the newest mapping (mappings change), else by the LID store.
func (l *line) peer(ctx context.Context, cli client, src types.MessageSource) (string, types.JID, error) {
	target, alt := src.Sender, src.SenderAlt
	if src.IsFromMe {
		target, alt = src.Chat, src.RecipientAlt
	}
	target, alt = target.ToNonAD(), alt.ToNonAD()
	var pn types.JID
	switch target.Server {
	case types.DefaultUserServer, types.LegacyUserServer:
		pn = types.NewJID(target.User, types.DefaultUserServer)
		if alt.Server == types.HiddenUserServer {
			l.putLID(ctx, cli, alt, pn)
		}
	case types.HiddenUserServer:
		if alt.Server == types.DefaultUserServer {
			pn = alt
			l.putLID(ctx, cli, target, pn)
			break
		}
		got, err := cli.PNForLID(ctx, target)
		if err != nil {
			return "", types.EmptyJID, fmt.Errorf("whatsapp: LID store: %w", err)
		}
		if got.IsEmpty() {
			return "", types.EmptyJID, errUnresolvedLID
		}
		pn = got.ToNonAD()
	default:
		return "", types.EmptyJID, nil
	}
	e164, err := phone.FromJID(pn.String())
	if err != nil {
		return "", types.EmptyJID, nil
	}
	return e164, pn, nil
}

func (l *line) putLID(ctx context.Context, cli client, lid, pn types.JID) {
	if err := cli.PutLIDMapping(ctx, lid, pn); err != nil {
		l.logger().Debug("whatsapp LID mapping not stored", "err", err)
	}
}

// content extracts what Quita reads from a message: text (a caption, a
// button or list choice), the attachment, what to download, and the id of
// the message it answers. Protocol messages (revokes, edits, key shares)
// yield nothing.
func content(m *waE2E.Message) (text string, media *bot.Media, dl whatsmeow.DownloadableMessage, reply string) {
	switch {
	case m == nil || m.ProtocolMessage != nil:
		return "", nil, nil, ""
	case m.Conversation != nil:
		return m.GetConversation(), nil, nil, ""
	case m.ExtendedTextMessage != nil:
		x := m.GetExtendedTextMessage()
		return x.GetText(), nil, nil, x.GetContextInfo().GetStanzaID()
	case m.ButtonsResponseMessage != nil:
		x := m.GetButtonsResponseMessage()
		return firstOf(x.GetSelectedDisplayText(), x.GetSelectedButtonID()), nil, nil, x.GetContextInfo().GetStanzaID()
	case m.ListResponseMessage != nil:
		x := m.GetListResponseMessage()
		return firstOf(x.GetTitle(), x.GetSingleSelectReply().GetSelectedRowID()), nil, nil, x.GetContextInfo().GetStanzaID()
	case m.TemplateButtonReplyMessage != nil:
		x := m.GetTemplateButtonReplyMessage()
		return firstOf(x.GetSelectedDisplayText(), x.GetSelectedID()), nil, nil, x.GetContextInfo().GetStanzaID()
	case m.ImageMessage != nil:
		x := m.GetImageMessage()
		return x.GetCaption(), mediaOf("image", x.GetMimetype(), "", x.GetFileLength(), x.GetFileSHA256()), x,
			x.GetContextInfo().GetStanzaID()
	case m.DocumentMessage != nil:
		x := m.GetDocumentMessage()
		return x.GetCaption(), mediaOf("document", x.GetMimetype(), x.GetFileName(), x.GetFileLength(), x.GetFileSHA256()), x,
			x.GetContextInfo().GetStanzaID()
	case m.AudioMessage != nil:
		x := m.GetAudioMessage()
		return "", mediaOf("audio", x.GetMimetype(), "", x.GetFileLength(), x.GetFileSHA256()), nil, x.GetContextInfo().GetStanzaID()
	case m.StickerMessage != nil:
		x := m.GetStickerMessage()
		return "", mediaOf("sticker", x.GetMimetype(), "", x.GetFileLength(), x.GetFileSHA256()), nil, x.GetContextInfo().GetStanzaID()
	case m.VideoMessage != nil:
		x := m.GetVideoMessage()
		return x.GetCaption(), mediaOf("video", x.GetMimetype(), "", x.GetFileLength(), x.GetFileSHA256()), nil, x.GetContextInfo().GetStanzaID()
	case m.ReactionMessage != nil:
		// A 👍 on the bot's question is an answer to it; removing a
		// reaction (empty text) says nothing.
		x := m.GetReactionMessage()
		return x.GetText(), nil, nil, x.GetKey().GetID()
	case m.LocationMessage != nil:
		return "", &bot.Media{Type: "location"}, nil, m.GetLocationMessage().GetContextInfo().GetStanzaID()
	case m.ContactMessage != nil:
		return "", &bot.Media{Type: "contact"}, nil, m.GetContactMessage().GetContextInfo().GetStanzaID()
	}
	return "", nil, nil, ""
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func mediaOf(kind, mime, filename string, size uint64, sum []byte) *bot.Media {
	m := &bot.Media{Type: kind, MIME: mime, Filename: filename, Size: int64(size)}
	if len(sum) > 0 {
		m.SHA256 = hex.EncodeToString(sum)
	}
	return m
}

// download fetches an image or document (a payment receipt) into media.
// A transient failure is returned, leaving the message unacknowledged for
// redelivery a few times; a permanent one, too many transient ones or an
// oversized file records the message without its bytes rather than
// losing it.
func (l *line) download(ctx context.Context, cli client, id string, dl whatsmeow.DownloadableMessage, media *bot.Media) error {
	if media.Size > l.t.cfg.MaxMediaBytes {
		l.logger().Warn("whatsapp attachment too large to download", "id", id, "size", media.Size)
		return nil
	}
	data, err := cli.Download(ctx, dl)
	if err == nil {
		media.Data = data
		media.Size = int64(len(data))
		l.mu.Lock()
		delete(l.dlFailures, id)
		l.mu.Unlock()
		return nil
	}
	l.mu.Lock()
	l.dlFailures[id]++
	tries := l.dlFailures[id]
	l.mu.Unlock()
	if permanentDownloadError(err) || tries >= maxDownloadAttempts {
		l.logger().Warn("whatsapp attachment recorded without its file", "id", id, "err", err)
		return nil
	}
	return fmt.Errorf("whatsapp: download attachment: %w", err)
}

func permanentDownloadError(err error) bool {
	for _, p := range []error{whatsmeow.ErrMediaDownloadFailedWith403, whatsmeow.ErrMediaDownloadFailedWith404,
		whatsmeow.ErrMediaDownloadFailedWith410, whatsmeow.ErrNoURLPresent, whatsmeow.ErrFileLengthMismatch,
		whatsmeow.ErrTooShortFile, whatsmeow.ErrInvalidMediaHMAC, whatsmeow.ErrInvalidMediaEncSHA256,
		whatsmeow.ErrInvalidMediaSHA256, whatsmeow.ErrUnknownMediaType, whatsmeow.ErrNothingDownloadableFound} {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

// onUndecryptable records a message WhatsApp delivered but we could not
// read, so the transcript shows the gap. Its id is prefixed: if the sender
// retries and it decrypts, the real message must not look like a replay.
func (l *line) onUndecryptable(cli client, e *events.UndecryptableMessage) bool {
	info := e.Info
	if !personalChat(info.MessageSource) || info.IsFromMe || e.DecryptFailMode == events.DecryptFailHide {
		return true
	}
	ctx, cancel := context.WithTimeout(l.t.ctx, receiveTimeout)
	defer cancel()
	from, _, err := l.peer(ctx, cli, info.MessageSource)
	if err != nil || from == "" {
		return true
	}
	sent := info.Timestamp
	if sent.IsZero() {
		sent = l.t.cfg.Clock.Now()
	}
	return l.deliver(ctx, bot.InboundMessage{Transport: Name, ExternalID: "undecryptable:" + info.ID, From: from,
		SentAt: sent, Kind: bot.InboundUndecryptable})
}

// onReceipt maps a receipt for one of our sends to a delivery report.
// Receipts from our own devices say nothing about the debtor, only that
// the phone is alive.
func (l *line) onReceipt(cli client, e *events.Receipt) bool {
	if e.IsGroup {
		return true
	}
	ctx, cancel := context.WithTimeout(l.t.ctx, receiveTimeout)
	defer cancel()
	if e.IsFromMe {
		if e.Sender.Device == 0 {
			l.sawPhone(ctx)
		}
		return true
	}
	status, reason := "", ""
	switch e.Type {
	case types.ReceiptTypeDelivered:
		status = bot.DeliveryDelivered
	case types.ReceiptTypeRead, types.ReceiptTypePlayed:
		status = bot.DeliveryRead
	case types.ReceiptTypeServerError:
		status, reason = bot.DeliveryFailed, "WhatsApp reported a server error for this message"
	default:
		return true // retry (whatsmeow resends), sender, inactive, …
	}
	at := e.Timestamp
	if at.IsZero() {
		at = l.t.cfg.Clock.Now()
	}
	key := cli.IDKey()
	for _, id := range e.MessageIDs {
		if !isOwnMessageID(key, id) {
			continue // not ours: typed on the phone, or another client's
		}
		r := bot.DeliveryReport{Transport: Name, ExternalID: id, Status: status, At: at, Reason: reason}
		if err := l.t.cfg.Sink.Report(ctx, r); err != nil {
			l.logger().Warn("whatsapp receipt not stored; it will be redelivered", "id", id, "err", err)
			l.post(action{kind: actReconnect})
			return false
		}
		if l.t.isRecent(id) {
			l.t.replayReport(r)
		}
	}
	return true
}

// A receipt can arrive before Send returned the message's id and the
// sender recorded it, and the Sink drops a report for an id it does not
// know. Reports for sends of the last recentFor are therefore repeated
// after replayAfter; the Sink only ever moves a status forward, so the
// repetition is harmless. Variables only so tests can shrink them.
var (
	recentFor   = 2 * time.Minute
	replayAfter = 10 * time.Second
)

// noteRecent remembers that id is being sent now.
func (t *Transport) noteRecent(id string) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, at := range t.recent {
		if now.Sub(at) >= recentFor {
			delete(t.recent, k)
		}
	}
	t.recent[id] = now
}

func (t *Transport) isRecent(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.recent[id]
	return ok && time.Since(at) < recentFor
}

// replayReport reports r again after replayAfter, outside the handler.
func (t *Transport) replayReport(r bot.DeliveryReport) {
	t.goTracked(func(ctx context.Context) {
		if !t.wait(ctx, replayAfter) {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, receiveTimeout)
		defer cancel()
		if err := t.cfg.Sink.Report(ctx, r); err != nil {
			t.log.Debug("whatsapp receipt replay not stored", "id", r.ExternalID, "err", err)
		}
	})
}

// onHistory records recent messages from a history sync, which never get
// answers. Messages sent from our side are skipped: the bot's are in the
// transcript already and old ones typed on the phone would claim a
// takeover that is long over.
func (l *line) onHistory(cli client, e *events.HistorySync) {
	ctx, cancel := context.WithTimeout(l.t.ctx, 5*time.Minute)
	defer cancel()
	l.sawPhone(ctx)
	now := l.t.cfg.Clock.Now()
	stored, failed := 0, 0
	heard := map[string]bool{}
	for _, conv := range e.Data.GetConversations() {
		chat, err := types.ParseJID(conv.GetID())
		if err != nil || (chat.Server != types.DefaultUserServer && chat.Server != types.HiddenUserServer) {
			continue
		}
		for _, hm := range conv.GetMessages() {
			web := hm.GetMessage()
			if web == nil || web.GetKey().GetFromMe() {
				continue
			}
			if now.Sub(time.Unix(int64(web.GetMessageTimestamp()), 0)) > l.t.cfg.HistoryWindow {
				continue
			}
			evt, err := cli.ParseWebMessage(chat, web)
			if err != nil {
				continue
			}
			msg, ok, err := l.mapMessage(ctx, cli, evt, true)
			if err != nil || !ok {
				continue
			}
			if err := l.t.cfg.Sink.Receive(ctx, msg); err != nil {
				failed++
				continue
			}
			if !heard[msg.From] {
				heard[msg.From] = true
				l.noteChat(ctx, msg.From, true) // the debtor wrote before: an existing chat
			}
			stored++
		}
	}
	if stored+failed > 0 {
		l.logger().Info("whatsapp history sync recorded", "messages", stored, "failed", failed)
	}
}
