package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed messages
var messageFiles embed.FS

// Supported lists the locales that ship, the default first.
var Supported = []string{"pt-BR", "en", "es"}

// Fallback is the locale used when a requested one is unknown.
const Fallback = "pt-BR"

// Catalog is the set of message templates of every locale.
type Catalog struct {
	messages map[string]map[string]string // locale → key → template
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) { return LoadFS(messageFiles) }

// LoadFS reads catalogs from fsys: every messages/<locale>/*.yaml file,
// merged. Catalogs are split by conversation topic so each flow's texts sit
// together; a key defined twice is an error.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{messages: map[string]map[string]string{}}
	for _, loc := range Supported {
		files, err := fs.Glob(fsys, "messages/"+loc+"/*.yaml")
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("locales: %s: no message files", loc)
		}
		flat := map[string]string{}
		for _, file := range files {
			data, err := fs.ReadFile(fsys, file)
			if err != nil {
				return nil, fmt.Errorf("locales: %w", err)
			}
			var tree map[string]any
			if err := yaml.Unmarshal(data, &tree); err != nil {
				return nil, fmt.Errorf("locales: %s: %w", file, err)
			}
			if err := flatten("", tree, flat); err != nil {
				return nil, fmt.Errorf("locales: %s: %w", file, err)
			}
		}
		c.messages[loc] = flat
	}
	return c, nil
}

// flatten turns nested YAML maps into dotted keys.
func flatten(prefix string, node map[string]any, out map[string]string) error {
	for k, v := range node {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := v.(type) {
		case string:
			if _, dup := out[key]; dup {
				return fmt.Errorf("key %s is defined twice", key)
			}
			out[key] = v
		case map[string]any:
			if err := flatten(key, v, out); err != nil {
				return err
			}
		default:
			return fmt.Errorf("key %s: want text or a map, got %T", key, v)
		}
	}
	return nil
}

// Resolve maps any requested locale ("pt", "pt_BR", "EN-us") to a shipped one.
func Resolve(locale string) string {
	l := strings.ToLower(strings.ReplaceAll(locale, "_", "-"))
	switch {
	case strings.HasPrefix(l, "pt"):
		return "pt-BR"
	case strings.HasPrefix(l, "en"):
		return "en"
	case strings.HasPrefix(l, "es"):
		return "es"
	}
	return Fallback
}

// Has reports whether key exists in locale.
func (c *Catalog) Has(locale, key string) bool {
	_, ok := c.messages[Resolve(locale)][key]
	return ok
}

// Keys returns the sorted keys of a locale.
func (c *Catalog) Keys(locale string) []string {
	m := c.messages[Resolve(locale)]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Text renders key in locale with args replacing {name} placeholders. A
// missing key or placeholder is a programming error that must not reach a
// debtor as garbage, so it is returned as an error for the caller to log
// and handle.
func (c *Catalog) Text(locale, key string, args map[string]string) (string, error) {
	tmpl, ok := c.messages[Resolve(locale)][key]
	if !ok {
		return "", fmt.Errorf("locales: %s: no message %q", Resolve(locale), key)
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			b.WriteString(tmpl)
			break
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			b.WriteString(tmpl)
			break
		}
		name := tmpl[open+1 : open+end]
		val, ok := args[name]
		if !ok {
			return "", fmt.Errorf("locales: %s: message %q needs {%s}", Resolve(locale), key, name)
		}
		b.WriteString(tmpl[:open])
		b.WriteString(val)
		tmpl = tmpl[open+end+1:]
	}
	return b.String(), nil
}

// Placeholders returns the {names} a template uses, for parity tests.
func (c *Catalog) Placeholders(locale, key string) []string {
	tmpl := c.messages[Resolve(locale)][key]
	var names []string
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			break
		}
		names = append(names, tmpl[open+1:open+end])
		tmpl = tmpl[open+end+1:]
	}
	sort.Strings(names)
	return names
}
