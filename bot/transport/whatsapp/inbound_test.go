package whatsapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/quitabot/quita/bot"
)

var (
	debtorJID = types.NewJID("5511988887777", types.DefaultUserServer)
	debtorLID = types.NewJID("123456789012345", types.HiddenUserServer)
)

const debtor = "+5511988887777"

func dm(sender types.JID, id string, ts time.Time, m *waE2E.Message) *events.Message {
	return &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: sender.ToNonAD(), Sender: sender},
		ID: id, Timestamp: ts}, Message: m}
}

func TestMessageMapping(t *testing.T) {
	quoted := &waE2E.ContextInfo{StanzaID: proto.String("3EB0QUOTED")}
	tests := []struct {
		name      string
		msg       *waE2E.Message
		wantText  string
		wantMedia string
		wantData  bool
		wantReply string
	}{
		{"text", &waE2E.Message{Conversation: proto.String("já paguei")}, "já paguei", "", false, ""},
		{"extended text quoting", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("quero parcelar"), ContextInfo: quoted}}, "quero parcelar", "", false, "3EB0QUOTED"},
		{"button reply", &waE2E.Message{ButtonsResponseMessage: &waE2E.ButtonsResponseMessage{
			SelectedButtonID: proto.String("yes"), ContextInfo: quoted,
			Response: &waE2E.ButtonsResponseMessage_SelectedDisplayText{SelectedDisplayText: "Sim"}}}, "Sim", "", false, "3EB0QUOTED"},
		{"button reply without title", &waE2E.Message{ButtonsResponseMessage: &waE2E.ButtonsResponseMessage{
			SelectedButtonID: proto.String("yes")}}, "yes", "", false, ""},
		{"list reply", &waE2E.Message{ListResponseMessage: &waE2E.ListResponseMessage{Title: proto.String("2 - Não"),
			SingleSelectReply: &waE2E.ListResponseMessage_SingleSelectReply{SelectedRowID: proto.String("no")}, ContextInfo: quoted}},
			"2 - Não", "", false, "3EB0QUOTED"},
		{"image receipt", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("comprovante"),
			Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(13)}}, "comprovante", "image", true, ""},
		{"document receipt", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{FileName: proto.String("pix.pdf"),
			Mimetype: proto.String("application/pdf")}}, "", "document", true, ""},
		{"audio", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{Mimetype: proto.String("audio/ogg"), PTT: proto.Bool(true)}},
			"", "audio", false, ""},
		{"sticker", &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp")}}, "", "sticker", false, ""},
		{"reaction", &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍"),
			Key: &waCommon.MessageKey{ID: proto.String("3EB0ASKED")}}}, "👍", "", false, "3EB0ASKED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if !h.cli.dispatch(dm(debtorJID, "MSG1", testStart.Add(-time.Minute), tc.msg)) {
				t.Fatal("handler reported failure")
			}
			if len(h.sink.Messages()) != 1 {
				t.Fatalf("received %d messages, want 1", len(h.sink.Messages()))
			}
			got := h.sink.Messages()[0]
			if got.Transport != Name || got.ExternalID != "MSG1" || got.From != debtor || got.Kind != bot.InboundDebtor {
				t.Errorf("envelope = %+v", got)
			}
			if got.Text != tc.wantText || got.Reply != tc.wantReply {
				t.Errorf("text, reply = %q, %q; want %q, %q", got.Text, got.Reply, tc.wantText, tc.wantReply)
			}
			switch {
			case tc.wantMedia == "" && got.Media != nil:
				t.Errorf("media = %+v, want none", got.Media)
			case tc.wantMedia != "" && (got.Media == nil || got.Media.Type != tc.wantMedia):
				t.Errorf("media = %+v, want %s", got.Media, tc.wantMedia)
			case tc.wantMedia != "" && (len(got.Media.Data) > 0) != tc.wantData:
				t.Errorf("media data = %q, want downloaded %v", got.Media.Data, tc.wantData)
			}
			if !got.SentAt.Equal(testStart.Add(-time.Minute)) {
				t.Errorf("sent at %v", got.SentAt)
			}
		})
	}
}

func TestIgnoredMessages(t *testing.T) {
	group := types.NewJID("120363000000000000", types.GroupServer)
	tests := []struct {
		name string
		evt  *events.Message
	}{
		{"group", &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: debtorJID, IsGroup: true},
			ID: "G1"}, Message: &waE2E.Message{Conversation: proto.String("oi")}}},
		{"status broadcast", &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: types.StatusBroadcastJID,
			Sender: debtorJID}, ID: "S1"}, Message: &waE2E.Message{Conversation: proto.String("oi")}}},
		{"revoke", dm(debtorJID, "R1", testStart, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type: waE2E.ProtocolMessage_REVOKE.Enum()}})},
		{"note to self", dm(ownJID.ToNonAD(), "N1", testStart, &waE2E.Message{Conversation: proto.String("lembrete")})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if !h.cli.dispatch(tc.evt) {
				t.Fatal("an ignored message must still be acknowledged")
			}
			if len(h.sink.Messages()) != 0 {
				t.Fatalf("received %+v", h.sink.Messages())
			}
		})
	}
}

func fromMe(id string, ts time.Time, device uint16) *events.Message {
	sender := ownJID
	sender.Device = device
	return &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: debtorJID, Sender: sender, IsFromMe: true},
		ID: id, Timestamp: ts}, Message: &waE2E.Message{Conversation: proto.String("Oi, aqui é a Ana")}}
}

func TestOwnEchoIgnoredAndOperatorMessage(t *testing.T) {
	h := newHarness(t)
	ours := newMessageID(h.cli.key)
	if !h.cli.dispatch(fromMe(ours, testStart, 3)) || len(h.sink.Messages()) != 0 {
		t.Fatalf("our own send came back as inbound: %+v", h.sink.Messages())
	}
	if !h.cli.dispatch(fromMe("3A1B2C3D4E5F60718293", testStart.Add(-48*time.Hour), 0)) || len(h.sink.Messages()) != 1 {
		t.Fatalf("operator message: received %+v", h.sink.Messages())
	}
	got := h.sink.Messages()[0]
	if got.Kind != bot.InboundOperator || got.From != debtor || got.Text != "Oi, aqui é a Ana" {
		t.Errorf("operator message = %+v", got)
	}
}

func TestOldMessageIsHistory(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxReplyAge = time.Hour })
	h.cli.dispatch(dm(debtorJID, "OLD", testStart.Add(-2*time.Hour), &waE2E.Message{Conversation: proto.String("oi")}))
	h.cli.dispatch(dm(debtorJID, "NEW", testStart.Add(-59*time.Minute), &waE2E.Message{Conversation: proto.String("oi")}))
	if msgs := h.sink.Messages(); len(msgs) != 2 || msgs[0].Kind != bot.InboundHistory || msgs[1].Kind != bot.InboundDebtor {
		t.Fatalf("kinds = %+v", msgs)
	}
}

func TestUndecryptableBecomesSystemEntry(t *testing.T) {
	h := newHarness(t)
	evt := &events.UndecryptableMessage{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: debtorJID, Sender: debtorJID},
		ID: "BROKEN", Timestamp: testStart}}
	h.cli.dispatch(evt)
	h.cli.dispatch(&events.UndecryptableMessage{Info: evt.Info, DecryptFailMode: events.DecryptFailHide})
	if len(h.sink.Messages()) != 1 {
		t.Fatalf("received %+v", h.sink.Messages())
	}
	got := h.sink.Messages()[0]
	if got.Kind != bot.InboundUndecryptable || got.From != debtor || got.ExternalID != "undecryptable:BROKEN" {
		t.Errorf("undecryptable = %+v", got)
	}
	// If the sender's retry decrypts, the real message is not a replay.
	h.cli.dispatch(dm(debtorJID, "BROKEN", testStart, &waE2E.Message{Conversation: proto.String("oi")}))
	if len(h.sink.Messages()) != 2 || h.sink.Messages()[1].ExternalID != "BROKEN" {
		t.Fatalf("retried message: %+v", h.sink.Messages())
	}
}

func TestIdentityResolution(t *testing.T) {
	oldForm := types.NewJID("551188887777", types.DefaultUserServer) // registered before the ninth digit
	otherLID := types.NewJID("999", types.HiddenUserServer)
	tests := []struct {
		name     string
		src      types.MessageSource
		lids     map[types.JID]types.JID
		wantFrom string
		wantPut  bool
	}{
		{"phone JID with device", types.MessageSource{Chat: debtorJID, Sender: types.JID{User: debtorJID.User, Server: debtorJID.Server, Device: 12}},
			nil, debtor, false},
		{"without ninth digit", types.MessageSource{Chat: oldForm, Sender: oldForm}, nil, debtor, false},
		{"LID with SenderAlt", types.MessageSource{Chat: debtorLID, Sender: debtorLID, SenderAlt: debtorJID}, nil, debtor, true},
		{"LID via the LID store", types.MessageSource{Chat: debtorLID, Sender: debtorLID}, map[types.JID]types.JID{debtorLID: oldForm}, debtor, false},
		{"phone JID with LID alt", types.MessageSource{Chat: debtorJID, Sender: debtorJID, SenderAlt: debtorLID}, nil, debtor, true},
		{"unresolved LID", types.MessageSource{Chat: otherLID, Sender: otherLID}, nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for k, v := range tc.lids {
				h.cli.lids[k] = v
			}
			ok := h.cli.dispatch(&events.Message{Info: types.MessageInfo{MessageSource: tc.src, ID: "ID1", Timestamp: testStart},
				Message: &waE2E.Message{Conversation: proto.String("oi")}})
			if !ok {
				t.Fatal("handler failed")
			}
			if tc.wantFrom == "" {
				if len(h.sink.Messages()) != 0 {
					t.Fatalf("an unresolved LID must not invent a number: %+v", h.sink.Messages())
				}
				return
			}
			if len(h.sink.Messages()) != 1 || h.sink.Messages()[0].From != tc.wantFrom {
				t.Fatalf("received %+v, want from %s", h.sink.Messages(), tc.wantFrom)
			}
			if tc.wantPut && (len(h.cli.puts) == 0 || h.cli.puts[0] != [2]types.JID{debtorLID, debtorJID}) {
				t.Errorf("LID mapping not stored: %v", h.cli.puts)
			}
			if route, _ := h.tr.cfg.Routes.Route(context.Background(), debtor); route != ownJID.ToNonAD().String() {
				t.Errorf("route = %q, want the number the debtor wrote to", route)
			}
		})
	}
}

func TestSinkFailureLeavesMessageUnacknowledged(t *testing.T) {
	h := newHarness(t)
	h.sink.Fail = errors.New("database is down")
	if h.cli.dispatch(dm(debtorJID, "M1", testStart, &waE2E.Message{Conversation: proto.String("oi")})) {
		t.Fatal("handler reported success although the message was not stored")
	}
	select {
	case a := <-h.line.actions:
		if a.kind != actReconnect {
			t.Errorf("action = %v, want a reconnect so WhatsApp redelivers", a.kind)
		}
	default:
		t.Error("no reconnect asked for")
	}
	h.sink.Fail = nil
	if !h.cli.dispatch(dm(debtorJID, "M1", testStart, &waE2E.Message{Conversation: proto.String("oi")})) || len(h.sink.Messages()) != 1 {
		t.Fatalf("redelivery not stored: %+v", h.sink.Messages())
	}
}

func TestDownloadFailures(t *testing.T) {
	img := &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg")}}
	t.Run("transient, then recorded without bytes", func(t *testing.T) {
		h := newHarness(t)
		h.cli.download = func() ([]byte, error) { return nil, errors.New("connection reset") }
		for i := 1; i < maxDownloadAttempts; i++ {
			if h.cli.dispatch(dm(debtorJID, "IMG", testStart, img)) {
				t.Fatalf("attempt %d acknowledged a receipt that was not downloaded", i)
			}
		}
		if !h.cli.dispatch(dm(debtorJID, "IMG", testStart, img)) || len(h.sink.Messages()) != 1 {
			t.Fatal("after the last attempt the message must be recorded")
		}
		if m := h.sink.Messages()[0].Media; m == nil || m.Type != "image" || len(m.Data) != 0 {
			t.Errorf("media = %+v", m)
		}
	})
	t.Run("expired media at once", func(t *testing.T) {
		h := newHarness(t)
		h.cli.download = func() ([]byte, error) { return nil, whatsmeow.ErrMediaDownloadFailedWith410 }
		if !h.cli.dispatch(dm(debtorJID, "IMG", testStart, img)) || len(h.sink.Messages()) != 1 {
			t.Fatal("expired media must not block the message")
		}
	})
	t.Run("too large", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.MaxMediaBytes = 10 })
		big := &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{FileLength: proto.Uint64(11)}}
		h.cli.download = func() ([]byte, error) { t.Fatal("oversized file downloaded"); return nil, nil }
		if !h.cli.dispatch(dm(debtorJID, "DOC", testStart, big)) || len(h.sink.Messages()) != 1 {
			t.Fatal("oversized file must be recorded without bytes")
		}
	})
}

func TestReceipts(t *testing.T) {
	h := newHarness(t)
	ours := newMessageID(h.cli.key)
	theirs := "3A0000000000000000FF"
	at := testStart.Add(time.Minute)
	receipt := func(typ types.ReceiptType, fromMe bool, ids ...string) *events.Receipt {
		return &events.Receipt{MessageSource: types.MessageSource{Chat: debtorJID, Sender: debtorJID, IsFromMe: fromMe},
			MessageIDs: ids, Timestamp: at, Type: typ}
	}
	for _, r := range []*events.Receipt{
		receipt(types.ReceiptTypeDelivered, false, ours, theirs),
		receipt(types.ReceiptTypeRead, false, ours),
		receipt(types.ReceiptTypePlayed, false, ours),
		receipt(types.ReceiptTypeServerError, false, ours),
		receipt(types.ReceiptTypeRetry, false, ours),
		receipt(types.ReceiptTypeReadSelf, true, ours),
		receipt(types.ReceiptTypeSender, true, ours),
	} {
		if !h.cli.dispatch(r) {
			t.Fatalf("receipt %q not acknowledged", r.Type)
		}
	}
	want := []string{bot.DeliveryDelivered, bot.DeliveryRead, bot.DeliveryRead, bot.DeliveryFailed}
	if len(h.sink.Reports()) != len(want) {
		t.Fatalf("reports = %+v", h.sink.Reports())
	}
	for i, r := range h.sink.Reports() {
		if r.Status != want[i] || r.ExternalID != ours || r.Transport != Name || !r.At.Equal(at) {
			t.Errorf("report %d = %+v, want %s", i, r, want[i])
		}
	}
	h.sink.Fail = errors.New("db down")
	if h.cli.dispatch(receipt(types.ReceiptTypeRead, false, ours)) {
		t.Error("a receipt that was not stored must not be acknowledged")
	}
}

func TestHistorySyncIsRecordedNotAnswered(t *testing.T) {
	h := newHarness(t)
	web := func(id string, fromMe bool, age time.Duration) *waHistorySync.HistorySyncMsg {
		return &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
			Key:              &waCommon.MessageKey{RemoteJID: proto.String(debtorJID.String()), FromMe: proto.Bool(fromMe), ID: proto.String(id)},
			Message:          &waE2E.Message{Conversation: proto.String("mensagem " + id)},
			MessageTimestamp: proto.Uint64(uint64(testStart.Add(-age).Unix()))}}
	}
	h.cli.dispatch(&events.HistorySync{Data: &waHistorySync.HistorySync{
		SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(debtorJID.String()), Messages: []*waHistorySync.HistorySyncMsg{
				web("H1", false, time.Minute), web("H2", true, time.Minute), web("H3", false, 90*24*time.Hour)}},
			{ID: proto.String("120363000000000000@g.us"), Messages: []*waHistorySync.HistorySyncMsg{web("G1", false, time.Minute)}},
		}}})
	if len(h.sink.Messages()) != 1 {
		t.Fatalf("received %+v, want only H1", h.sink.Messages())
	}
	if got := h.sink.Messages()[0]; got.ExternalID != "H1" || got.Kind != bot.InboundHistory || got.From != debtor {
		t.Errorf("history message = %+v", got)
	}
}
