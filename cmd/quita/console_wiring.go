package main

import (
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/web"
)

// consoleDeps is what the agent console needs beyond the API's deps: the
// message catalog for canned replies, the default locale and the trusted
// reverse proxies (for the client address of login limits). Sessions keep
// their built-in lifetimes (12 h idle, 72 h at most) on the wall clock, so
// moving the simulator clock never signs anyone out.
func consoleDeps(cfg *config, catalog *locales.Catalog) web.ConsoleDeps {
	return web.ConsoleDeps{Catalog: catalog, Locale: cfg.Locale, Proxies: cfg.Proxies}
}
