package whatsapp

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"log/slog"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
)

// client is exactly the part of *whatsmeow.Client the transport uses, plus
// the few device-store reads it needs, so tests can replace the network.
type client interface {
	Connect() error
	Disconnect()
	IsLoggedIn() bool
	AddEventHandlerWithSuccessStatus(h whatsmeow.EventHandlerWithSuccessStatus) uint32
	PairPhone(ctx context.Context, phone string, showPush bool, ct whatsmeow.PairClientType, display string) (string, error)
	SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	Upload(ctx context.Context, data []byte, mt whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	Download(ctx context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error)
	IsOnWhatsApp(ctx context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error)
	ParseWebMessage(chat types.JID, msg *waWeb.WebMessageInfo) (*events.Message, error)

	// OwnJID is the linked account's phone-number JID (with device part),
	// empty before pairing.
	OwnJID() types.JID
	// IDKey is a secret stable for the device, from which the ids of the
	// messages this device sends are tagged (see ids.go).
	IDKey() []byte
	PNForLID(ctx context.Context, lid types.JID) (types.JID, error)
	LIDForPN(ctx context.Context, pn types.JID) (types.JID, error)
	PutLIDMapping(ctx context.Context, lid, pn types.JID) error
}

// realClient adapts *whatsmeow.Client to client.
type realClient struct{ *whatsmeow.Client }

func (c realClient) OwnJID() types.JID { return c.Store.GetJID() }

func (c realClient) IDKey() []byte {
	h := sha256.Sum256(append([]byte("quita sent-id "), c.Store.IdentityKey.Priv[:]...))
	return h[:]
}

func (c realClient) PNForLID(ctx context.Context, lid types.JID) (types.JID, error) {
	return c.Store.LIDs.GetPNForLID(ctx, lid)
}

func (c realClient) LIDForPN(ctx context.Context, pn types.JID) (types.JID, error) {
	return c.Store.LIDs.GetLIDForPN(ctx, pn)
}

func (c realClient) PutLIDMapping(ctx context.Context, lid, pn types.JID) error {
	return c.Store.LIDs.PutLIDMapping(ctx, lid, pn)
}

// devices is where lines get their clients: the sqlstore container in
// production, a fake in tests.
type devices interface {
	// List returns the JIDs of the paired devices in the store.
	List(ctx context.Context) ([]types.JID, error)
	// Client returns a fresh client for the paired device jid, or for a new
	// unpaired device when jid is empty. It returns nil, nil when the device
	// is no longer stored (it was logged out, perhaps by another instance).
	Client(ctx context.Context, jid types.JID) (client, error)
}

// sqlDevices serves clients from whatsmeow's sqlstore on the shared DB.
type sqlDevices struct {
	container *sqlstore.Container
	log       waLog.Logger
}

// openContainer wraps the shared DB in a sqlstore container and brings
// whatsmeow's tables up to date. The container is never closed: closing it
// would close the service's shared pool.
func openContainer(ctx context.Context, db *sql.DB, dialect string, log *slog.Logger) (*sqlstore.Container, error) {
	wlog := slogLogger{log: log, module: "whatsmeow"}
	c := sqlstore.NewWithDB(db, sqlstoreDialect(dialect), wlog.Sub("Database"))
	if err := c.Upgrade(ctx); err != nil {
		return nil, fmt.Errorf("whatsapp: upgrade device store: %w", err)
	}
	return c, nil
}

func (d *sqlDevices) List(ctx context.Context) ([]types.JID, error) {
	devs, err := d.container.GetAllDevices(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: list devices: %w", err)
	}
	out := make([]types.JID, 0, len(devs))
	for _, dev := range devs {
		out = append(out, dev.GetJID())
	}
	return out, nil
}

func (d *sqlDevices) Client(ctx context.Context, jid types.JID) (client, error) {
	var dev *wastore.Device
	if jid.IsEmpty() {
		dev = d.container.NewDevice()
	} else {
		var err error
		if dev, err = d.container.GetDevice(ctx, jid); err != nil {
			return nil, fmt.Errorf("whatsapp: load device: %w", err)
		} else if dev == nil {
			return nil, nil
		}
	}
	cli := whatsmeow.NewClient(dev, d.log)
	// Acks wait for the handlers: a message is acknowledged only once the
	// Sink stored it (message.go decryptMessages, receipt.go
	// maybeDeferredAck). The decrypted-event buffer keeps the plaintext of a
	// message whose handler failed, so its redelivery can still be read
	// after the Signal ratchet moved on (message.go bufferedDecrypt).
	cli.SynchronousAck = true
	cli.EnableDecryptedEventBuffer = true
	// The line's supervisor owns reconnection (backoff with a cap, the
	// lease, one log line per state change).
	cli.EnableAutoReconnect = false
	return realClient{cli}, nil
}

// slogLogger routes whatsmeow's own logs to slog at debug level: they name
// JIDs (phone numbers) unmasked and are too chatty for info; the transport
// logs state changes itself.
type slogLogger struct {
	log    *slog.Logger
	module string
}

func (l slogLogger) Warnf(msg string, args ...any)  { l.out("warn", msg, args) }
func (l slogLogger) Errorf(msg string, args ...any) { l.out("error", msg, args) }
func (l slogLogger) Infof(msg string, args ...any)  { l.out("info", msg, args) }
func (l slogLogger) Debugf(msg string, args ...any) { l.out("debug", msg, args) }
func (l slogLogger) Sub(module string) waLog.Logger {
	return slogLogger{log: l.log, module: l.module + "/" + module}
}

func (l slogLogger) out(level, msg string, args []any) {
	if !l.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	l.log.Debug("whatsmeow", "module", l.module, "level", level, "msg", fmt.Sprintf(msg, args...))
}
