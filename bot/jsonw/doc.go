// Package jsonw writes JSON without reflection, byte for byte as
// encoding/json does (HTML characters, U+2028/U+2029 and invalid UTF-8
// escaped the same way, map keys sorted), for the few hot paths where
// encoding/json's reflection showed in profiles: transcript hashes, whose
// bytes must never change, and event payloads. Values it has no fast path
// for go through encoding/json, so the output is always what
// json.Marshal would give.
package jsonw
