package flows

import (
	"fmt"
	"sync"
	"testing"

	"github.com/quitabot/quita/locales"
)

// Topic tests check their replies against the real catalogs, so a key or
// placeholder that exists in no locale fails here, not in front of a debtor.

// testCatalog loads the embedded catalogs once for the whole package.
var testCatalog = sync.OnceValues(locales.Load)

// checkKeys fails when a reply uses a key some locale lacks: a typo in a
// key built at run time (care.when.<weekday>) would otherwise reach a
// debtor as an error.
func checkKeys(t *testing.T, actions []Action) {
	t.Helper()
	c, err := testCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		r, ok := a.(Reply)
		if !ok {
			continue
		}
		for _, p := range r.Parts {
			for _, loc := range locales.Supported {
				if !c.Has(loc, p.Key) {
					t.Errorf("%s has no %s", loc, p.Key)
				}
			}
		}
	}
}

// checkRenders renders every reply in every locale, the way the engine
// does, so a missing key or placeholder argument fails here.
func checkRenders(t *testing.T, actions []Action) {
	t.Helper()
	c, err := testCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		r, ok := a.(Reply)
		if !ok {
			continue
		}
		parts := r.Parts
		for _, b := range r.Buttons {
			parts = append(parts, Part{Key: b.Key})
		}
		for _, p := range parts {
			args := map[string]string{"company": "Acme", "contact": "(11) 4000-1234", "company_document": "CNPJ 11.222.333/0001-81"}
			for k, v := range p.Args {
				args[k] = fmt.Sprint(v)
			}
			for _, loc := range locales.Supported {
				if _, err := c.Text(loc, p.Key, args); err != nil {
					t.Errorf("%s: %v", loc, err)
				}
			}
		}
	}
}
