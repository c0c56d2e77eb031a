package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/locales"
)

// classify reads messages one per line and writes one JSON object per
// line (contract §1), resolving dates against now in the business timezone.
// Without --locale each message's language is detected and printed as
// "locale", "" when the message is too short or ambiguous to tell (it is
// then classified in QUITA_LOCALE); with --locale every message is read
// in that one.
func classify(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defLocale := getenv("QUITA_LOCALE")
	if defLocale == "" {
		defLocale = locales.Fallback
	}
	locale := fs.String("locale", "", "locale of the messages: pt-BR, en or es (default: detected per message)")
	tzName := getenv("QUITA_TIMEZONE")
	if tzName == "" {
		tzName = "America/Sao_Paulo"
	}
	tz := fs.String("timezone", tzName, "business timezone for dates (QUITA_TIMEZONE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *locale != "" && locales.Resolve(*locale) != *locale {
		return fmt.Errorf("classify: --locale %q is not one of pt-BR, en, es", *locale)
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("classify: --timezone %q: unknown time zone", *tz)
	}
	c, err := nlu.New(locales.NLUFiles)
	if err != nil {
		return err
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	type line struct {
		Text string `json:"text"`
		bot.Classification
		Locale string `json:"locale"`
	}
	for in.Scan() {
		text := in.Text()
		l := line{Text: text, Locale: *locale}
		if *locale != "" {
			l.Classification = c.Classify(text, *locale, time.Now().In(loc))
		} else {
			l.Classification, l.Locale = c.ClassifyDetected(text, defLocale, time.Now().In(loc))
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("classify: reading stdin: %w", err)
	}
	return nil
}
