package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot/transport/fetch"
)

// TestInvoicePDFURLCannotReachInside: the WhatsApp path sends what an
// invoice's pdf_url returns to the debtor, so the service's wiring must
// not fetch from its own network. Before the fetch package this read
// loopback (and followed redirects to it) with http.DefaultClient.
func TestInvoicePDFURLCannotReachInside(t *testing.T) {
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4 internal report"))
	}))
	defer inside.Close()
	f := mediaFetcher{remote: fetch.New(fetch.Options{})}
	data, _, err := f.Fetch(context.Background(), inside.URL+"/report.pdf")
	if err == nil || !strings.Contains(err.Error(), "not public") {
		t.Fatalf("Fetch of a loopback pdf_url = %q, %v; want it refused", data, err)
	}
}
