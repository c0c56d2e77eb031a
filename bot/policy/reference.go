package policy

import _ "embed"

//go:embed reference.yaml
var reference []byte

// Reference returns the reference policy file: every key, commented, set to
// its default. It parses to exactly Default(), which a test enforces, so it
// can be shipped as quita.example.yaml and pasted into the README.
func Reference() []byte { return append([]byte(nil), reference...) }
