package scenario

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/reminders"
)

// Script lines:
//
//	# comment
//	@pix off                                 no Pix key in the policy (applies to the whole script)
//	@now 2026-11-23T10:00:00-03:00          set the clock (forward only)
//	@clock +2h | +3d                         move the clock forward
//	@customer NAME | +55… | locale           the debtor the script talks as
//	@invoice ID | cents | due | description | key=value…  (pix=, boleto=, link=, pdf=, items=desc:cents;…)
//	@media image|document FILENAME           attach a file to the next message
//	@paid ID                                 the billing system confirms a payment
//	@remind [+DURATION [xN]]                 N times: move the clock, run a reminder pass
//	<media>                                  a message with only the attachment
//	anything else                            a message from the debtor

func fields(s string) []string {
	parts := strings.Split(s, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func (r *runner) do(line string) error {
	ctx := context.Background()
	cmd, rest, _ := strings.Cut(line, " ")
	switch cmd {
	case "@pix":
		if strings.TrimSpace(rest) != "off" {
			return fmt.Errorf("@pix off is the only setting")
		}
		return nil // applied before the engine was built (scriptPolicy)
	case "@now":
		at, err := time.Parse(time.RFC3339, rest)
		if err != nil {
			return err
		}
		return r.clock.Set(at)
	case "@clock":
		d, err := parseOffset(rest)
		if err != nil {
			return err
		}
		r.clock.Advance(d)
		_, err = r.sender.RunDue(ctx)
		return err
	case "@customer":
		f := fields(rest)
		if len(f) != 3 {
			return fmt.Errorf("@customer NAME | PHONE | LOCALE")
		}
		r.customer = bot.Customer{ID: "cus_" + strings.ToLower(strings.Fields(f[0])[0]), Name: f[0], Phone: f[1], Locale: f[2],
			Document: "123.456.789-09", Email: "cliente@example.com", CreatedAt: r.clock.Now(), UpdatedAt: r.clock.Now()}
		return r.st.UpsertCustomer(ctx, r.customer)
	case "@invoice":
		return r.invoice(rest)
	case "@media":
		f := strings.Fields(rest)
		if len(f) != 2 {
			return fmt.Errorf("@media TYPE FILENAME")
		}
		mime := map[string]string{"image": "image/jpeg", "document": "application/pdf"}[f[0]]
		r.media = &bot.Media{Type: f[0], MIME: mime, Filename: f[1], Data: []byte("receipt bytes of " + f[1])}
		return nil
	case "@remind":
		return r.remind(ctx, rest)
	case "@paid":
		inv, changed, err := r.st.SetInvoiceStatus(ctx, strings.TrimSpace(rest), bot.InvoicePaid, r.clock.Now())
		if err != nil || !changed {
			return fmt.Errorf("@paid: %v (changed %v)", err, changed)
		}
		out, err := r.engine.InvoicePaid(ctx, inv)
		if err != nil {
			return err
		}
		return r.sender.Deliver(ctx, out.OutboxIDs)
	}
	if strings.HasPrefix(cmd, "@") {
		return fmt.Errorf("unknown directive %s", cmd)
	}
	return r.message(line)
}

func (r *runner) invoice(rest string) error {
	f := fields(rest)
	if len(f) < 4 {
		return fmt.Errorf("@invoice ID | CENTS | DUE | DESCRIPTION | key=value…")
	}
	cents, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return err
	}
	inv := bot.Invoice{ID: f[0], CustomerID: r.customer.ID, AmountCents: cents, Currency: "BRL", DueDate: f[2], Description: f[3],
		Status: bot.InvoiceOpen, CreatedAt: r.clock.Now(), UpdatedAt: r.clock.Now()}
	for _, kv := range f[4:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "pix":
			inv.Payment.PixCopyPaste = v
		case "boleto":
			inv.Payment.BoletoLine = v
		case "link":
			inv.Payment.Link = v
		case "pdf":
			inv.PDFURL = v
		case "items":
			for _, item := range strings.Split(v, ";") {
				desc, c, _ := strings.Cut(item, ":")
				n, _ := strconv.ParseInt(c, 10, 64)
				inv.Items = append(inv.Items, bot.InvoiceItem{Description: desc, AmountCents: n})
			}
		default:
			return fmt.Errorf("unknown invoice key %q", k)
		}
	}
	return r.st.UpsertInvoice(context.Background(), r.customer, inv)
}

func parseOffset(s string) (time.Duration, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

// remind is the scenarios' "@remind [+DURATION [xN]]": N times, move the
// clock by DURATION (if given), run a reminder pass as the production loop
// or the simulator clock would, and deliver what it queued.
func (r *runner) remind(ctx context.Context, rest string) error {
	step, times := time.Duration(0), 1
	if f := strings.Fields(rest); len(f) > 0 {
		d, err := parseOffset(f[0])
		if err != nil {
			return err
		}
		step = d
		if len(f) > 1 {
			if times, err = strconv.Atoi(strings.TrimPrefix(f[1], "x")); err != nil {
				return fmt.Errorf("@remind +DURATION xN: %v", err)
			}
		}
	}
	planner, err := reminders.New(reminders.Config{Store: r.st, Engine: r.engine, Policy: r.policy, Location: Location})
	if err != nil {
		return err
	}
	run := reminders.DueRunner(planner, r.clock, r.sender.RunDue)
	for i := 0; i < times; i++ {
		r.clock.Advance(step)
		if _, err := run(ctx); err != nil {
			return err
		}
	}
	return nil
}
