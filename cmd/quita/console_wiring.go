package main

import (
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/web"
)

// consoleDeps is what the agent console needs beyond the API's deps: the
// message catalog for canned replies and the default locale. Sessions keep
// their built-in lifetimes (12 h idle, 72 h at most) on the wall clock, so
// moving the simulator clock never signs anyone out.
func consoleDeps(cfg *config, catalog *locales.Catalog) web.ConsoleDeps {
	return web.ConsoleDeps{Catalog: catalog, Locale: cfg.Locale}
}
