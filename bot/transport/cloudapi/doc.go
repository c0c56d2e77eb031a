// Package cloudapi is the WhatsApp Cloud API transport: Meta's official,
// hosted API on the Graph API, the lawful path for cold reminders at scale.
// It sits next to the whatsmeow transport and is selected per business
// number; the engine sees both through bot.Transport and bot.Sink.
//
// It owns:
//   - Send: text, document, image, reply buttons (up to 3), lists (4 to 10
//     rows) and numbered text beyond that, and template messages. The
//     24-hour customer-service window is respected: outside it only the
//     approved template configured for the message's catalog key is sent,
//     never free text.
//   - The inbound webhook: the GET verify challenge, X-Hub-Signature-256
//     verification, messages (with media downloaded through the Graph API)
//     handed to the Sink and statuses reported like receipts.
//   - The mapping of Graph API errors to retryable or final failures
//     (GraphError) and the link health derived from them.
//
// It imports the standard library, bot and bot/phone only: no HTTP
// framework (the web package passes it the raw body and headers) and no
// whatsmeow. The 24-hour window is read through WindowStore, which the
// composition root implements from the inbox.
package cloudapi
