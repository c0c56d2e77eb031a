package fetch

import "net/netip"

// refusedPrefixes are the ranges a Fetcher never connects to: not the
// public internet, or where a cloud metadata service answers.
var refusedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", includes the unspecified 0.0.0.0
		"10.0.0.0/8",      // private (RFC 1918)
		"100.64.0.0/10",   // CGNAT shared space (RFC 6598); Alibaba's metadata 100.100.100.200
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local; AWS, GCP, Azure, OCI metadata 169.254.169.254
		"172.16.0.0/12",   // private (RFC 1918)
		"192.0.0.0/24",    // IETF protocol assignments; includes 192.0.0.192 (Oracle metadata)
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"192.168.0.0/16",  // private (RFC 1918)
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b:1::/48",  // local-use NAT64 (RFC 8215): translates into private networks
		"100::/64",        // discard-only
		"2001:db8::/32",   // documentation
		"fc00::/7",        // unique local (private); AWS metadata fd00:ec2::254
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: the IPv4 address is the last 4 bytes
	sixTo4 = netip.MustParsePrefix("2002::/16")    // 6to4: the IPv4 address follows the prefix
)

// Public reports whether a is an address a Fetcher may connect to: not in
// a refused range, itself or as the IPv4 address an IPv6 form embeds.
func Public(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if a.Zone() != "" {
		return false // a scoped address is link-local by nature
	}
	for _, p := range refusedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Public(netip.AddrFrom4([4]byte(b[12:16])))
		case sixTo4.Contains(a):
			return Public(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}
