package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/store"
)

// agentsPage lists the console's agents with forms to add and disable
// them (admins only).
func (cs *console) agentsPage(c *fiber.Ctx) error {
	data := cs.newPage(c)
	if done := c.Query("done"); data.T["done_"+done] != "" {
		data.Notice = data.T["done_"+done]
	}
	return cs.showAgents(c, data, fiber.StatusOK)
}

func (cs *console) showAgents(c *fiber.Ctx, data pageData, status int) error {
	agents, err := cs.Store.Agents(c.UserContext())
	if err != nil {
		return err
	}
	data.Agents = agents
	return cs.page(c, status, "console_agents.html", data)
}

// addAgent creates an agent; without a password one is generated and
// shown once.
func (cs *console) addAgent(c *fiber.Ctx) error {
	data := cs.newPage(c)
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	role := c.FormValue("role")
	password := c.FormValue("password")
	generated := password == ""
	if generated {
		password = GeneratePassword()
	}
	hash, err := HashPassword(password)
	if err == nil {
		err = cs.Store.CreateAgent(c.UserContext(), store.Agent{ID: newAgentID(), Name: name, Role: role, CreatedAt: cs.now()}, hash)
	}
	if err != nil {
		code := bot.ErrorCodeOf(err)
		if code != bot.CodeInvalid && code != bot.CodeConflict {
			return err
		}
		data.Problem = err.Error()
		return cs.showAgents(c, data, statusOf[code])
	}
	cs.log.Info("console agent added", "agent", name, "role", role, "by", data.Agent.Name)
	data.Notice = strings.ReplaceAll(data.T["agentAdded"], "{name}", name)
	if generated {
		data.Secret = password
	}
	return cs.showAgents(c, data, fiber.StatusCreated)
}

func newAgentID() string { return "agt_" + strings.ToLower(randomToken(12)) }

// setAgentDisabled disables or re-enables an agent; disabling ends their
// sessions. An admin cannot disable themselves (nobody could undo it).
func (cs *console) setAgentDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		data := cs.newPage(c)
		name := c.Params("name")
		if disabled && name == data.Agent.Name {
			data.Problem = data.T["errSelfDisable"]
			return cs.showAgents(c, data, fiber.StatusUnprocessableEntity)
		}
		if err := cs.Store.SetAgentDisabled(c.UserContext(), name, disabled, cs.now()); err != nil {
			if bot.ErrorCodeOf(err) == bot.CodeNotFound {
				return cs.fail(c, fiber.StatusNotFound, err.Error())
			}
			return err
		}
		cs.log.Info("console agent updated", "agent", name, "disabled", disabled, "by", data.Agent.Name)
		done := "enabled"
		if disabled {
			done = "disabled"
		}
		return c.Redirect("/console/agents?done="+done, fiber.StatusSeeOther)
	}
}

// linksView is the WhatsApp page's content.
type linksView struct {
	Off      bool
	Links    []linkView
	Events   []eventView // recent link changes, newest first
	HasQR    bool
	PairCode string
	Phone    string
}

// eventView is a recorded link change.
type eventView struct{ At, Source, State, Detail string }

type linkView struct {
	Index                                int
	Transport, Number, State, StateLabel string
	Detail, Since, Until, PairCode       string
	Healthy, QR                          bool
}

// whatsapp shows the health of every WhatsApp link, the pairing QR and a
// form to pair by phone code (the last two for admins).
func (cs *console) whatsapp(c *fiber.Ctx) error {
	return cs.showLinks(c, cs.newPage(c), fiber.StatusOK)
}

func (cs *console) showLinks(c *fiber.Ctx, data pageData, status int) error {
	v := &linksView{Off: cs.Links == nil}
	if cs.Links != nil {
		for i, l := range cs.Links.Links() {
			lv := linkView{Index: i, Transport: l.Transport, Number: l.Number, State: l.State, StateLabel: data.T["link_"+l.State],
				Detail: l.Detail, Healthy: l.Healthy(), PairCode: l.PairCode, QR: l.QR != "" && l.State == bot.LinkQRNeeded}
			if lv.StateLabel == "" {
				lv.StateLabel = l.State
			}
			if !l.Since.IsZero() {
				lv.Since = l.Since.In(cs.loc()).Format("02/01/2006 15:04")
			}
			if !l.Until.IsZero() {
				lv.Until = l.Until.In(cs.loc()).Format("02/01/2006 15:04")
			}
			v.HasQR = v.HasQR || lv.QR
			v.Links = append(v.Links, lv)
		}
	}
	if !v.Off {
		events, err := cs.Store.SystemEvents(c.UserContext(), 20)
		if err != nil {
			return err
		}
		for _, e := range events {
			label := data.T["link_"+e.Kind]
			if label == "" {
				label = e.Kind
			}
			v.Events = append(v.Events, eventView{At: e.At.In(cs.loc()).Format("02/01/2006 15:04"), Source: e.Source, State: label, Detail: e.Detail})
		}
	}
	if data.Links != nil {
		v.PairCode, v.Phone = data.Links.PairCode, data.Links.Phone
	}
	data.Links = v
	return cs.page(c, status, "console_whatsapp.html", data)
}

// whatsappQR renders the pairing QR of link ?i as a PNG. It changes every
// few seconds and links a phone to the service, so it is never cached.
func (cs *console) whatsappQR(c *fiber.Ctx) error {
	if cs.Links == nil {
		return fiber.ErrNotFound
	}
	i, err := strconv.Atoi(c.Query("i"))
	links := cs.Links.Links()
	if err != nil || i < 0 || i >= len(links) || links[i].QR == "" {
		return bot.Errorf(bot.CodeNotFound, "no pairing QR right now")
	}
	png, err := qrcode.Encode(links[i].QR, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(png)
}

// whatsappPair starts pairing by phone code and shows the code to type on
// the phone.
func (cs *console) whatsappPair(c *fiber.Ctx) error {
	data := cs.newPage(c)
	if cs.Links == nil {
		data.Problem = data.T["waOff"]
		return cs.showLinks(c, data, fiber.StatusServiceUnavailable)
	}
	raw := strings.TrimSpace(c.FormValue("phone"))
	e164, err := phone.Normalize(raw, "BR")
	if err != nil {
		data.Problem = data.T["errPhone"]
		data.Links = &linksView{Phone: raw}
		return cs.showLinks(c, data, fiber.StatusUnprocessableEntity)
	}
	code, err := cs.Links.PairPhone(c.UserContext(), e164)
	if err != nil {
		st := statusOf[bot.ErrorCodeOf(err)]
		if st == 0 || st == fiber.StatusInternalServerError {
			cs.log.Error("whatsapp pairing failed", "err", err)
			st = fiber.StatusBadGateway
			data.Problem = data.T["errPair"]
		} else {
			data.Problem = err.Error()
		}
		data.Links = &linksView{Phone: e164}
		return cs.showLinks(c, data, st)
	}
	cs.log.Info("whatsapp pairing by code started", "by", data.Agent.Name)
	data.Links = &linksView{PairCode: code, Phone: e164}
	return cs.showLinks(c, data, fiber.StatusOK)
}

// openSimulator signs a console admin into the simulator page (contract
// §4.3: /sim needs the token or a console login) and opens it. The
// simulator session acts as that admin and ends with their console
// session.
func (cs *console) openSimulator(c *fiber.Ctx) error {
	a, ok := cs.consoleSession(c)
	if !ok {
		return cs.fail(c, fiber.StatusUnauthorized, consoleText[cs.lang(c)]["errSignIn"])
	}
	return cs.startSimSession(c, store.SimSession{AgentID: a.ID, ConsoleSession: a.SessionHash})
}
