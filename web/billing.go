package web

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/webhooks"
)

// billingWebhook receives invoice and customer events from a billing system
// (contract §4.1). The raw body is verified before it is parsed; a
// repeated webhook-id answers 200 and changes nothing; the effect and the
// delivery record commit together, so nothing is ever half applied.
func (s *server) billingWebhook(c *fiber.Ctx) error {
	// fiber reuses its buffers after the handler returns: copy first.
	body := append([]byte(nil), c.Body()...)
	id := c.Get(webhooks.HeaderID)
	if err := s.WebhookVerifier.VerifyValues(id, c.Get(webhooks.HeaderTimestamp), c.Get(webhooks.HeaderSignature), body); err != nil {
		if errors.Is(err, webhooks.ErrNoSecret) {
			return err // misconfiguration: a 500, logged
		}
		return bot.Errorf(bot.CodeUnauthenticated, "webhook signature rejected: %v", err)
	}
	if err := webhooks.CheckID(id); err != nil {
		return err // before the store: PostgreSQL cannot even look such an id up
	}
	ctx := c.UserContext()
	if prev, err := s.Store.WebhookDeliveryByID(ctx, id); err != nil {
		return err
	} else if prev != nil && prev.Status != store.WebhookRejected {
		return c.JSON(fiber.Map{"id": id, "status": "duplicate", "type": prev.Type})
	}
	now := s.Clock.Now()
	// The record keeps a text copy; bytes a text column cannot hold are replaced.
	delivery := store.WebhookDelivery{ID: id, Body: strings.ToValidUTF8(strings.ReplaceAll(string(body), "\x00", ""), "\uFFFD"),
		ReceivedAt: time.Now()}
	ev, err := webhooks.ParseEvent(body, now)
	if err != nil {
		delivery.Status, delivery.Error = store.WebhookRejected, err.Error()
		var env webhooks.Envelope
		if json.Unmarshal(body, &env) == nil {
			delivery.Type = env.Type
		}
		if recErr := s.Store.RecordWebhookDelivery(ctx, delivery); recErr != nil && !errors.Is(recErr, store.ErrDuplicateDelivery) {
			s.log.Error("record rejected webhook", "err", recErr)
		}
		return err
	}
	delivery.Type = ev.Type
	var result fiber.Map
	var thanks *bot.InboxRecord
	var paidID, promise string
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		var paid *bot.Invoice
		result, paid, err = s.applyBillingEvent(c, tx, ev)
		if err != nil {
			return err
		}
		if paid != nil {
			// The thanks is owed durably: recorded with the payment, sent
			// after the commit, replayed by recovery if that fails.
			customer, err := tx.Customer(ctx, paid.CustomerID)
			if err != nil {
				return err
			}
			rec, _, err := tx.RecordInbound(ctx, engine.PaidEvent(s.Engine.NewID("inb"), *paid, customer.Phone, now))
			if err != nil {
				return err
			}
			thanks = &rec
			paidID, promise = paid.ID, s.promiseOutcome(ctx, tx, *paid, now)
		}
		delivery.Status = store.WebhookApplied
		if !ev.Known {
			delivery.Status = store.WebhookIgnored
		}
		return tx.RecordWebhookDelivery(ctx, delivery)
	})
	if errors.Is(err, store.ErrDuplicateDelivery) {
		return c.JSON(fiber.Map{"id": id, "status": "duplicate", "type": ev.Type})
	}
	if err != nil {
		if bot.ErrorCodeOf(err) == bot.CodeNotFound || bot.ErrorCodeOf(err) == bot.CodeInvalid {
			delivery.Status, delivery.Error = store.WebhookRejected, err.Error()
			if recErr := s.Store.RecordWebhookDelivery(ctx, delivery); recErr != nil && !errors.Is(recErr, store.ErrDuplicateDelivery) {
				s.log.Error("record rejected webhook", "err", recErr)
			}
		}
		return err
	}
	if thanks != nil {
		s.paymentMetrics(ctx, paidID, promise)
		if out, err := s.Engine.Process(ctx, *thanks); err != nil {
			s.log.Error("thank the debtor for a payment; recovery will retry", "inbox_id", thanks.ID, "err", err)
		} else {
			result["conversation_id"] = out.ConversationID
		}
	}
	if !ev.Known {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": id, "status": "recorded", "type": ev.Type})
	}
	result["id"], result["status"], result["type"] = id, "applied", ev.Type
	return c.JSON(result)
}

// applyBillingEvent writes one event's effect inside tx and says whether a
// debtor should be thanked for a payment.
func (s *server) applyBillingEvent(c *fiber.Ctx, tx *store.Store, ev webhooks.Event) (fiber.Map, *bot.Invoice, error) {
	ctx := c.UserContext()
	now := s.Clock.Now()
	switch {
	case ev.Invoice != nil:
		cust, inv := ev.Invoice.Customer, ev.Invoice.Invoice
		cust.CreatedAt, cust.UpdatedAt, inv.CreatedAt, inv.UpdatedAt = now, now, now, now
		change, _, err := tx.ApplyInvoice(ctx, cust, inv, s.Engine.NewID("cus"))
		return fiber.Map{"invoice_id": inv.ID, "change": change}, nil, err
	case ev.Paid != nil:
		inv, changed, err := tx.SetInvoiceStatus(ctx, ev.Paid.InvoiceID, bot.InvoicePaid, now)
		if err != nil {
			return nil, nil, withField(err, "data.invoice_id")
		}
		if !changed {
			return fiber.Map{"invoice_id": inv.ID, "change": "unchanged"}, nil, nil
		}
		return fiber.Map{"invoice_id": inv.ID, "change": "paid"}, &inv, nil
	case ev.Cancelled != nil:
		inv, changed, err := tx.SetInvoiceStatus(ctx, ev.Cancelled.InvoiceID, bot.InvoiceCancelled, now)
		if err != nil {
			return nil, nil, withField(err, "data.invoice_id")
		}
		return fiber.Map{"invoice_id": inv.ID, "change": map[bool]string{true: "cancelled", false: "unchanged"}[changed]}, nil, nil
	case ev.Customer != nil:
		cust := *ev.Customer
		cust.UpdatedAt = now
		_, changed, err := tx.UpdateCustomerByExternalID(ctx, cust)
		if err != nil {
			return nil, nil, withField(err, "data.customer.id")
		}
		return fiber.Map{"customer_id": cust.ExternalID, "change": map[bool]string{true: "updated", false: "unchanged"}[changed]}, nil, nil
	}
	return fiber.Map{}, nil, nil
}

// withField turns "no such invoice" into a 422 naming the field: the
// request was well-formed but refers to something Quita does not know.
func withField(err error, field string) error {
	var be *bot.Error
	if errors.As(err, &be) && be.Code == bot.CodeNotFound {
		return bot.Invalid(field, "%s", be.Message)
	}
	return err
}

type webhookDeliveryJSON struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	ReceivedAt string `json:"received_at"`
}

// receivedWebhooks lists received deliveries for support.
func (s *server) receivedWebhooks(c *fiber.Ctx) error {
	status := c.Query("status")
	switch status {
	case "", store.WebhookApplied, store.WebhookIgnored, store.WebhookRejected:
	default:
		return bot.Invalid("status", "must be applied, ignored or rejected")
	}
	list, err := s.Store.WebhookDeliveries(c.UserContext(), status, c.QueryInt("limit", 100))
	if err != nil {
		return err
	}
	out := make([]webhookDeliveryJSON, len(list))
	for i, d := range list {
		out[i] = webhookDeliveryJSON{ID: d.ID, Type: d.Type, Status: d.Status, Error: d.Error, ReceivedAt: d.ReceivedAt.In(s.Location).Format(time.RFC3339)}
	}
	return c.JSON(fiber.Map{"deliveries": out})
}

// promiseOutcome says, inside the payment's transaction and before the
// thanks turn clears it, whether inv was under a promise to pay and whether
// this payment kept it: "kept" on or before the promised day, "late" after,
// "" without a promise.
func (s *server) promiseOutcome(ctx context.Context, tx *store.Store, inv bot.Invoice, now time.Time) string {
	cols, err := tx.Collections(ctx, []string{inv.ID})
	col, ok := cols[inv.ID]
	if err != nil || !ok || col.Status != bot.CollectionPromised {
		return ""
	}
	if policy.DateOf(now.In(s.Location)).String() > col.Until {
		return "late"
	}
	return "kept"
}

// paymentMetrics adds a committed payment to Prometheus's running totals.
func (s *server) paymentMetrics(ctx context.Context, invoiceID, promise string) {
	var recovered int64
	if p, err := s.Store.InvoicePayment(ctx, invoiceID); err == nil && p.Contacted {
		recovered = p.AmountCents
	}
	s.Metrics.Payment(recovered, promise)
}
