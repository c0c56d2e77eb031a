// Package locales holds every piece of debtor-facing text and the data the
// language understanding runs on, for pt-BR, en and es, embedded in the
// binary. Message catalogs are YAML maps from a dotted key to a template
// with {placeholders}; formatting of money and dates per locale lives here
// too, so flows and the engine never spell a word of Portuguese.
//
// It imports only the standard library and gopkg.in/yaml.v3.
package locales
