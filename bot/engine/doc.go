// Package engine runs conversations: it stores each inbound message
// durably, hands it to the conversation's actor (one writer per
// conversation, guarded across instances by a coordinator lock), classifies
// it, steps the flow, renders replies from locales and commits state,
// transcript and outbox in one transaction. The Sender then drains the
// outbox to the transports.
//
// It imports bot and its subpackages, flows and locales; never store, web
// or a transport implementation.
package engine
