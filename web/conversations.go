package web

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
)

type conversationJSON struct {
	ID        string `json:"id"`
	Phone     string `json:"phone"`
	Status    string `json:"status"`
	State     string `json:"state"`
	Agent     string `json:"agent"`
	UpdatedAt string `json:"updated_at"`
}

func (s *server) toConversationJSON(c bot.Conversation) conversationJSON {
	return conversationJSON{ID: c.ID, Phone: c.Phone, Status: string(c.Status), State: c.State, Agent: c.Agent,
		UpdatedAt: c.UpdatedAt.In(s.Location).Format(time.RFC3339)}
}

var conversationStatuses = []string{string(bot.StatusOpen), string(bot.StatusNeedsAgent), string(bot.StatusResolved)}

func (s *server) listConversations(c *fiber.Ctx) error {
	f := store.ConversationFilter{Status: c.Query("status"), Limit: c.QueryInt("limit", 100)}
	if f.Status != "" && !slices.Contains(conversationStatuses, f.Status) {
		return bot.Invalid("status", "must be one of %s", strings.Join(conversationStatuses, ", "))
	}
	if p := c.Query("phone"); p != "" {
		e164, err := phone.Normalize(p, "BR")
		if err != nil {
			return bot.Invalid("phone", "%s", strings.TrimPrefix(err.Error(), "phone: "))
		}
		f.Phones = phone.Variants(e164)
	}
	convs, err := s.Store.Conversations(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]conversationJSON, len(convs))
	for i, conv := range convs {
		out[i] = s.toConversationJSON(conv)
	}
	return c.JSON(fiber.Map{"conversations": out})
}

func (s *server) getConversation(c *fiber.Ctx) error {
	conv, err := s.Store.Conversation(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s.toConversationJSON(conv))
}

var transcriptTypes = map[string]string{
	"json": fiber.MIMEApplicationJSONCharsetUTF8,
	"txt":  fiber.MIMETextPlainCharsetUTF8,
	"html": fiber.MIMETextHTMLCharsetUTF8,
	"pdf":  "application/pdf",
}

func (s *server) getTranscript(c *fiber.Ctx) error {
	format := c.Query("format", "json")
	contentType, ok := transcriptTypes[format]
	if !ok {
		return bot.Invalid("format", "must be one of %s", strings.Join(transcript.Formats, ", "))
	}
	conv, entries, err := s.loadTranscript(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "pdf" {
		err = s.renderPDF(c.UserContext(), &buf, conv, entries)
	} else {
		err = transcript.Render(&buf, format, transcript.HeaderOf(conv), entries, s.Location)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, contentType)
	switch format {
	case "html":
		c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	case "pdf":
		// A download, not a page: browsers save it under a useful name.
		name := strings.Map(func(r rune) rune {
			if r == '"' || r == '\\' || r < 0x20 {
				return -1
			}
			return r
		}, conv.ID)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="transcript-`+name+`.pdf"`)
	}
	return c.Send(buf.Bytes())
}

// renderPDF writes the PDF transcript with the parties it names: the
// creditor from the policy, and the debtor the engine tied the
// conversation to (not whoever holds the number now, so the PDF never
// names a stranger) with their open invoices and those the talk names.
// `quita transcript export` gathers the same from its own store handle.
func (s *server) renderPDF(ctx context.Context, w io.Writer, conv bot.Conversation, entries []bot.TranscriptEntry) error {
	info := transcript.PDFInfo{Conversation: transcript.HeaderOf(conv), Company: s.Policy.Company,
		Location: s.Location, GeneratedAt: time.Now()}
	if s.Clock != nil {
		info.GeneratedAt = s.Clock.Now() // the simulator's moved clock, like every other time it shows
	}
	cust, all, err := s.Store.ConversationDebtor(ctx, conv)
	if err != nil {
		return err
	}
	info.Customer, info.Invoices = cust, transcript.InvoicesInvolved(all, entries)
	return transcript.RenderPDF(w, info, entries)
}

// loadTranscript loads the conversation named in the route and its entries.
func (s *server) loadTranscript(c *fiber.Ctx) (bot.Conversation, []bot.TranscriptEntry, error) {
	conv, err := s.Store.Conversation(c.UserContext(), c.Params("id"))
	if err != nil {
		return conv, nil, err
	}
	entries, err := s.Store.Transcript(c.UserContext(), conv.ID)
	return conv, entries, err
}

func (s *server) verifyTranscript(c *fiber.Ctx) error {
	_, entries, err := s.loadTranscript(c)
	if err != nil {
		return err
	}
	return c.JSON(transcript.Verify(entries))
}

func (s *server) getMedia(c *fiber.Ctx) error {
	m, err := s.Store.MediaFile(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, m.MIME)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+strings.ReplaceAll(m.Filename, `"`, "")+`"`)
	return c.Send(m.Data)
}
