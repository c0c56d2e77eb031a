package policy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestReferenceIsDefault(t *testing.T) {
	got, err := Parse(Reference())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Fatalf("Reference() parses to\n%+v\nwant Default()\n%+v", got, Default())
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default() is invalid: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	p := Default()
	p.Company.Name = "Loja da Esquina"
	p.Reminders.Segments = []Segment{{
		Name: "vip", Tags: []string{"vip"},
		Cadence:    []Step{{OffsetDays: 3, Message: "reminder.overdue", Tone: ToneFriendly}},
		Escalation: &Escalation{Action: EscalateNone},
	}}
	p.ContactWindows.Holidays.Extra = []string{"01-25"}
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip changed the policy:\n%+v\nwant\n%+v", got, p)
	}
}

func TestParseMergesOverDefaults(t *testing.T) {
	p, err := Parse([]byte(`
company:
  name: Loja da Esquina
caps:
  per_week: 2
reminders:
  cadence:
    - {offset_days: 1, message: reminder.overdue, tone: friendly}
    - {offset_days: 10, message: reminder.final_notice, tone: final}
contact_windows:
  saturday: 09:00-13:00
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Company.Name = "Loja da Esquina"
	want.Caps.PerWeek = 2
	want.Reminders.Cadence = []Step{
		{OffsetDays: 1, Message: "reminder.overdue", Tone: ToneFriendly},
		{OffsetDays: 10, Message: "reminder.final_notice", Tone: ToneFinal},
	}
	want.ContactWindows.Saturday = "09:00-13:00"
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", p, want)
	}
	if len(Default().Reminders.Cadence) != 6 {
		t.Fatal("parsing modified the defaults")
	}
}

func TestParseErrors(t *testing.T) {
	const co = "company:\n  name: Loja\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"late fee", co + "charges:\n  late_fee_percent: 5\n",
			"policy: line 4: charges.late_fee_percent: 5 exceeds the legal maximum of 2 (CDC art. 52 §1)"},
		{"unknown key", co + "charges:\n  late_fee: 1\n",
			"policy: line 4: charges.late_fee: unknown key (did you mean late_fee_percent?)"},
		{"unknown top-level key", co + "timezone: America/Sao_Paulo\n",
			"policy: line 3: timezone: unknown key"},
		{"sunday", co + "contact_windows:\n  sunday: 09:00-12:00\n",
			"policy: line 4: contact_windows.sunday: collection on Sundays is not allowed"},
		{"cadence order", co + "reminders:\n  cadence:\n" +
			"    - {offset_days: 1, message: a, tone: friendly}\n" +
			"    - {offset_days: 5, message: b, tone: firm}\n" +
			"    - {offset_days: 3, message: c, tone: firm}\n",
			"policy: line 7: reminders.cadence[2].offset_days: steps must be in increasing order"},
		{"syntax", co + "charges: [\n", "policy: line 3: did not find expected node content"},
		{"bad indentation", "company:\n  name: X\n charges: 1\n", "policy: line 2: did not find expected key"},
		{"duration", co + "whatsapp:\n  min_delay: 3\n",
			`policy: line 4: whatsapp.min_delay: "3" is not a duration like 15s, 10m or 24h`},
		{"bool", co + "installments:\n  enabled: maybe\n",
			`policy: line 4: installments.enabled: "maybe" is not true or false`},
		{"number", co + "caps:\n  per_day: one\n", `policy: line 4: caps.per_day: "one" is not a whole number`},
		{"list for value", co + "caps:\n  per_day: [1]\n", "policy: line 4: caps.per_day: expected a single value, found a list"},
		{"value for list", co + "installments:\n  offer: 3\n", `policy: line 4: installments.offer: expected a list, found "3"`},
		{"repeated key", co + "caps:\n  per_day: 1\n  per_day: 2\n", "policy: line 5: caps.per_day: repeated key (first set on line 4)"},
		{"empty value", co + "contact_windows:\n  monday:\n", `policy: line 4: contact_windows.monday: has no value (write "" or "off" for none)`},
		{"name required", "caps:\n  per_day: 1\n",
			"policy: company.name: required: the creditor is named in every collection message (CDC art. 42-A)"},
		{"empty file needs a name", "", "policy: company.name: required: the creditor is named in every collection message (CDC art. 42-A)"},
		{"not a mapping", "- a\n", "policy: line 1: expected keys (a mapping), found a list"},
		{"two documents", co + "---\ncompany: {name: Y}\n", "policy: line 3: only one YAML document is allowed"},
		{"segment inherits bad escalation", co + "reminders:\n  segments:\n    - name: slow\n      tags: [x]\n      cadence:\n" +
			"        - {offset_days: 40, message: reminder.overdue, tone: firm}\n",
			"policy: line 7: reminders.segments[0].cadence: D+35 must come after the last step (D+40); give the segment its own escalation"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s:\n got  %v\n want %s", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans several lines: %q", tt.name, err)
		}
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("%s: %T is not *Error", tt.name, err)
		}
	}
}

func TestParseAnchorsAndMerge(t *testing.T) {
	p, err := Parse([]byte(`
company: {name: Loja}
contact_windows:
  monday: &day 08:00-17:00
  tuesday: *day
  holidays: &h
    national: true
reminders:
  cadence:
    - &base {offset_days: 1, message: reminder.overdue, tone: friendly}
    - <<: *base
      offset_days: 9
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.ContactWindows.Tuesday != "08:00-17:00" || p.Reminders.Cadence[1].OffsetDays != 9 || p.Reminders.Cadence[1].Message != "reminder.overdue" {
		t.Fatalf("anchors not applied: %+v", p)
	}
	_, err = Parse([]byte("company: {name: Loja}\nx: &a {bogus: 1}\n"))
	if err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("want unknown key, got %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p, found, err := Load(filepath.Join(dir, "quita.yaml"))
	if err != nil || found || !reflect.DeepEqual(p, Default()) {
		t.Fatalf("missing file: %v %v", found, err)
	}
	if _, found, err := Load(""); err != nil || found {
		t.Fatalf("empty path: %v %v", found, err)
	}

	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("company:\n  name: Loja\n"), 0o600)
	p, found, err = Load(good)
	if err != nil || !found || p.Company.Name != "Loja" {
		t.Fatalf("good file: %+v %v %v", p.Company, found, err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("company:\n  name: Loja\ncaps:\n  per_day: 9\n"), 0o600)
	_, found, err = Load(bad)
	want := "policy: " + bad + ":4: caps.per_day: 9 is outside 1–3: more proactive messages a day is harassment (CDC art. 42)"
	if err == nil || err.Error() != want || !found {
		t.Fatalf("bad file:\n got  %v\n want %s", err, want)
	}

	if _, _, err := Load(dir); err == nil || !strings.HasPrefix(err.Error(), "policy: ") {
		t.Fatalf("directory: %v", err)
	}
}
