package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Error is a policy problem: one line naming where it is and what is wrong,
// e.g. "policy: quita.yaml:4: charges.late_fee_percent: 5 exceeds the legal
// maximum of 2 (CDC art. 52 §1)". Parse, Load and Validate return *Error.
type Error struct {
	File string // the file Load read, "" otherwise
	Line int    // 1-based line in the YAML, 0 when unknown (e.g. from Validate)
	Path string // key path such as "reminders.cadence[2].tone", "" for the whole file
	Msg  string // what is wrong
}

// Error formats the problem as a single line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("policy: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(strings.ReplaceAll(e.Msg, "\n", " "))
	return b.String()
}

// Load reads the policy file at path. A missing file (or an empty path) is
// not an error: it returns Default() with found false, so the caller can log
// "using built-in policy" — or refuse to start when the operator named the
// file explicitly. Any other problem is an *Error or a read error.
func Load(path string) (p Policy, found bool, err error) {
	if path == "" {
		return Default(), false, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), false, nil
	}
	if err != nil {
		return Policy{}, false, fmt.Errorf("policy: %w", err)
	}
	p, err = Parse(data)
	var pe *Error
	if errors.As(err, &pe) {
		pe.File = path
	}
	return p, true, err
}

// Parse decodes a policy file over Default() — keys that are absent keep
// their defaults, a list that is present replaces the default list — and
// validates the result. It is strict: unknown and repeated keys, values of
// the wrong type and empty values are errors, since a typo that silently
// fell back to a default could message debtors at the wrong time. The file
// must set company.name. Errors carry the line of the offending key.
func Parse(data []byte) (Policy, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return Policy{}, syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return Policy{}, syntaxError(err)
		}
		return Policy{}, &Error{Line: extra.Line, Msg: "only one YAML document is allowed"}
	}

	p := Default()
	// The creditor must be named by the file itself: the demo placeholder
	// must never reach a real debtor (CDC art. 42-A).
	p.Company.Name = ""
	lines := map[string]int{}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if err := walk(root, reflect.TypeOf(p), "", lines); err != nil {
			return Policy{}, err
		}
		if err := root.Decode(&p); err != nil {
			return Policy{}, syntaxError(err) // walk should have caught it; keep it one line anyway
		}
	}
	if err := p.Validate(); err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			pe.Line = lineOf(lines, pe.Path)
		}
		return Policy{}, err
	}
	return p, nil
}

// lineOf finds the line of path, or of its nearest ancestor in the file.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// syntaxError turns a yaml.v3 error ("yaml: line 3: …", possibly several
// lines) into one *Error line.
func syntaxError(err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = strings.TrimSpace(msg)
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, tail
			}
		}
	}
	return &Error{Line: line, Msg: strings.Join(strings.Fields(msg), " ")}
}

var durationType = reflect.TypeOf(time.Duration(0))

// walk checks node against the Go type t before decoding, so every problem
// is reported with its key path and line: unknown or repeated keys, lists
// where a value is expected, values of the wrong type, empty values. It also
// records the line of every key path for Validate's errors.
func walk(n *yaml.Node, t reflect.Type, path string, lines map[string]int) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if _, ok := lines[path]; !ok {
		lines[path] = n.Line
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	switch {
	case t.Kind() == reflect.Struct:
		if isNull {
			return nil // "charges:" with nothing under it keeps the defaults
		}
		if n.Kind != yaml.MappingNode {
			return &Error{Line: n.Line, Path: path, Msg: "expected keys (a mapping), found " + describe(n)}
		}
		return walkMapping(n, t, path, lines)
	case t.Kind() == reflect.Slice:
		if isNull {
			return nil // an empty list
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{Line: n.Line, Path: path, Msg: "expected a list, found " + describe(n)}
		}
		for i, item := range n.Content {
			if err := walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lines); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Map:
		if isNull {
			return nil // no entries
		}
		if n.Kind != yaml.MappingNode {
			return &Error{Line: n.Line, Path: path, Msg: "expected keys (a mapping), found " + describe(n)}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := walk(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, lines); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Path: path, Msg: "expected a single value, found " + describe(n)}
	}
	if isNull {
		hint := ""
		if t.Kind() == reflect.String {
			hint = ` (write "" or "off" for none)`
		}
		return &Error{Line: n.Line, Path: path, Msg: "has no value" + hint}
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("%q is not %s", n.Value, kindName(t))}
	}
	return nil
}

// walkMapping checks the keys of a mapping against the yaml tags of struct t.
func walkMapping(n *yaml.Node, t reflect.Type, path string, lines map[string]int) error {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" { // YAML merge key: the merged mappings are checked like this one
			vals := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				vals = v.Content
			}
			for _, m := range vals {
				if err := walk(m, t, path, lines); err != nil {
					return err
				}
			}
			continue
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		ft, ok := fields[k.Value]
		if !ok {
			msg := "unknown key"
			if s := closest(k.Value, fields); s != "" {
				msg += " (did you mean " + s + "?)"
			}
			return &Error{Line: k.Line, Path: kp, Msg: msg}
		}
		if first, dup := seen[k.Value]; dup {
			return &Error{Line: k.Line, Path: kp, Msg: fmt.Sprintf("repeated key (first set on line %d)", first)}
		}
		seen[k.Value] = k.Line
		lines[kp] = k.Line
		if err := walk(v, ft, kp, lines); err != nil {
			return err
		}
	}
	return nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "keys"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 15s, 10m or 24h"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		return "a number"
	}
	return "a valid " + t.String()
}

// closest returns the known key nearest to key when it is a likely typo
// (edit distance ≤ 2, or one contains the other).
func closest(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for f := range fields {
		d := editDistance(key, f)
		if strings.Contains(f, key) || strings.Contains(key, f) {
			d = min(d, 2)
		}
		if d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
