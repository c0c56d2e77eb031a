// Package fetch downloads documents from URLs that outsiders choose — an
// invoice's pdf_url, set by whoever can create invoices — without letting
// that URL reach into the network Quita runs in (SSRF).
//
// A Fetcher refuses to connect to loopback, private (RFC 1918, ULA),
// link-local (which holds the cloud metadata service 169.254.169.254),
// CGNAT (100.64.0.0/10, which holds Alibaba's metadata 100.100.100.200),
// multicast, unspecified, broadcast and reserved addresses, and to IPv6
// forms that embed one (IPv4-mapped, NAT64, 6to4). The check runs in the
// dialer's Control hook, on the address actually being connected to, after
// DNS resolution and for every redirect, so a name that resolves to a
// public address when checked and to 127.0.0.1 when dialled (DNS
// rebinding) is still refused. Proxies from the environment are not used:
// a proxy would connect on Quita's behalf where the hook cannot see.
//
// It also bounds what a fetch may cost: a few redirects, a size cap and a
// deadline; and it checks that what came back is a PDF.
//
// The package imports only bot and the standard library.
package fetch
