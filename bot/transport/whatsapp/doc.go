// Package whatsapp links WhatsApp numbers to Quita through whatsmeow, the
// multi-device web client. It is the only package that imports whatsmeow;
// everything it hands to the rest of the service is a bot type.
//
// What it owns:
//
//   - Pairing (QR in the terminal and the console, or a phone code) and the
//     device store: whatsmeow's sqlstore on the service's shared *sql.DB,
//     so a restart reconnects without a new QR.
//   - One supervisor goroutine per linked number ("line") that holds the
//     number's lease (one live connection across instances), connects with
//     a capped backoff, and turns whatsmeow's connection events into
//     bot.LinkState values. Permanent conditions (logged out, stream
//     replaced, client outdated) stop the line instead of looping.
//   - Inbound mapping: whatsmeow events become bot.InboundMessage values
//     handed to bot.Sink inside the event handler, with SynchronousAck, so a
//     message is acknowledged only once it is stored.
//   - Outbound: bot.Transport.Send with pacing, daily caps, warm-up, the
//     463 reach-out timelock and error classification. A Send ends inside
//     the outbox lease (sendBudget) and is idempotent per outbox id, and a
//     line sends only while its lease is confirmed.
//
// The whatsmeow client is reached through the narrow client interface so
// tests feed real whatsmeow event types to a fake client without a network.
// Debtor-facing text never originates here: the package only carries text
// it is given. It may import bot, bot/phone, whatsmeow and go-qrcode.
package whatsapp
