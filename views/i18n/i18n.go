// Package i18n holds every word the portal shows, in English and German,
// and says them in the language of the technician reading: chosen in the
// header, or else the browser's Accept-Language.
//
// The catalogues are golang.org/x/text's: CLDR plural rules and numbers
// written the language's way ("1.000" in German) come with it. A message
// is looked up by a key ("request.accepted"); views call T with the
// request's context, and handlers hand views a Text (a key with its
// arguments) instead of a sentence, so that wording stays here.
package i18n

import (
	"context"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Language is one of the portal's languages with its catalogue.
type Language struct {
	Tag language.Tag
	// Name is the language's name in itself, as the switch offers it.
	Name    string
	printer *message.Printer
	// messages are the language's own, without the fallback's.
	messages messages
	// plain are the messages without arguments, said without a printer:
	// most of a page's words.
	plain map[string]string
	// counted remembers messages said with one whole number, as ages
	// ("3 days ago") and counts are: a printer's plural rules cost a page
	// of device cards more than the rest of their words.
	counted counts
}

// counts is a bounded memo of messages said with one int.
type counts struct {
	mu   sync.Mutex
	said map[countKey]string
}

type countKey struct {
	key string
	n   int
}

// maxCounted bounds the memo: a few hundred keys times the numbers a
// page shows (days, seconds, devices) stay far below it.
const maxCounted = 8192

func (c *counts) say(key string, n int, say func() string) string {
	k := countKey{key, n}
	c.mu.Lock()
	s, ok := c.said[k]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = say()
	c.mu.Lock()
	if len(c.said) >= maxCounted {
		clear(c.said)
	}
	c.said[k] = s
	c.mu.Unlock()
	return s
}

// Code is the language's BCP 47 code, for <html lang> and the cookie.
func (l *Language) Code() string { return l.Tag.String() }

// pseudoTag is a test language: English with every message in ⟦ ⟧, so
// that a page rendered in it shows any word that bypassed the catalogue.
var pseudoTag = language.MustParse("en-XA")

var cat = catalog.NewBuilder()

// The languages. English is the default, and says what another
// language's catalogue lacks (a test makes sure none does).
var (
	English = build(language.English, "English", english, nil)
	German  = build(language.German, "Deutsch", german, english)
	Pseudo  = build(pseudoTag, "Pseudo", pseudo(english), nil)
)

// Offered are the languages the header offers, in its order.
var Offered = []*Language{English, German}

var matcher = language.NewMatcher([]language.Tag{language.English, language.German})

// ByCode is the language with this code ("en", "de", or the test
// language's "en-XA"), nil for any other.
func ByCode(code string) *Language {
	for _, l := range []*Language{English, German, Pseudo} {
		if l.Code() == code {
			return l
		}
	}
	return nil
}

// Choose is the technician's chosen language (the code in their cookie),
// else the best match for their browser's Accept-Language, else English.
func Choose(chosen, acceptLanguage string) *Language {
	if l := ByCode(chosen); l != nil {
		return l
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return English
	}
	if _, i, confidence := matcher.Match(tags...); confidence != language.No {
		return Offered[i]
	}
	return English
}

type languageKey struct{}

// With returns ctx in language l.
func With(ctx context.Context, l *Language) context.Context {
	return context.WithValue(ctx, languageKey{}, l)
}

// Of is ctx's language, English when none was chosen.
func Of(ctx context.Context) *Language {
	if l, ok := ctx.Value(languageKey{}).(*Language); ok {
		return l
	}
	return English
}

// T says message key with args in ctx's language. Args that are Texts are
// said in that language first.
func T(ctx context.Context, key string, args ...any) string {
	return Of(ctx).Sprintf(key, args...)
}

// Formats are l's own messages as its catalogue writes them, a counted
// one in its last form: for tests that look for one language's words on
// another's pages.
func (l *Language) Formats() map[string]string {
	out := make(map[string]string, len(l.messages))
	for key, m := range l.messages {
		switch m := m.(type) {
		case string:
			out[key] = m
		case counted:
			out[key] = m.cases[len(m.cases)-1]
		}
	}
	return out
}

// Sprintf says message key with args in l.
func (l *Language) Sprintf(key string, args ...any) string {
	if len(args) == 0 {
		if s, ok := l.plain[key]; ok {
			return s
		}
	}
	if len(args) == 1 {
		if n, ok := args[0].(int); ok {
			return l.counted.say(key, n, func() string { return l.printer.Sprintf(key, n) })
		}
	}
	said := make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(Text); ok {
			a = t.in(l)
		}
		said[i] = a
	}
	return l.printer.Sprintf(key, said...)
}

// Text is a message with its arguments, not yet said in any language:
// what a handler gives a view or an error instead of a sentence.
type Text struct {
	Key  string
	Args []any
	// data is shown as it is: a name or an id, not a message.
	data string
}

// M is message key with args.
func M(key string, args ...any) Text { return Text{Key: key, Args: args} }

// Data is a Text that is not a message but data shown as it is, such as
// a person's name as a page's title.
func Data(s string) Text { return Text{data: s} }

// IsZero reports whether t says nothing.
func (t Text) IsZero() bool { return t.Key == "" && t.data == "" }

// In says t in ctx's language.
func (t Text) In(ctx context.Context) string { return t.in(Of(ctx)) }

func (t Text) in(l *Language) string {
	if t.Key == "" {
		return t.data
	}
	return l.Sprintf(t.Key, t.Args...)
}

// String says t in English, for logs.
func (t Text) String() string { return t.in(English) }

// counted is a message chosen by the plural category (CLDR's "one",
// "other", or "=0" for an exact number) of argument arg, counted from 1.
type counted struct {
	arg   int
	cases []string // selector, format, selector, format…
}

// count is a message that depends on how many of something there are.
func count(arg int, cases ...string) counted { return counted{arg: arg, cases: cases} }

func (c counted) message() catalog.Message {
	cases := make([]any, len(c.cases))
	for i, s := range c.cases {
		cases[i] = s
	}
	return plural.Selectf(c.arg, "%d", cases...)
}

// messages are one language's catalogue: each key's format (fmt verbs,
// written the language's way) or counted choice of formats.
type messages map[string]any

// build makes a language of its own messages, saying fallback's for the
// keys it lacks.
func build(tag language.Tag, name string, own, fallback messages) *Language {
	l := &Language{Tag: tag, Name: name, messages: own, plain: make(map[string]string), counted: counts{said: make(map[countKey]string)}}
	for key, m := range withFallback(own, fallback) {
		var err error
		switch m := m.(type) {
		case string:
			err = cat.SetString(tag, key, m)
			if !strings.Contains(m, "%") {
				l.plain[key] = m
			}
		case counted:
			err = cat.Set(tag, key, m.message())
		default:
			panic("i18n: message " + key + " is neither a format nor counted")
		}
		if err != nil {
			panic("i18n: message " + key + ": " + err.Error())
		}
	}
	l.printer = message.NewPrinter(tag, message.Catalog(cat))
	return l
}

// withFallback is msgs with fallback's messages for the keys it lacks.
func withFallback(msgs, fallback messages) messages {
	out := make(messages, len(fallback))
	for key, m := range fallback {
		out[key] = m
	}
	for key, m := range msgs {
		out[key] = m
	}
	return out
}

// pseudo is the test language's catalogue: each of en's messages in ⟦ ⟧.
func pseudo(en messages) messages {
	out := make(messages, len(en))
	for key, m := range en {
		switch m := m.(type) {
		case string:
			out[key] = "⟦" + m + "⟧"
		case counted:
			c := counted{arg: m.arg, cases: make([]string, len(m.cases))}
			for i, s := range m.cases {
				if i%2 == 1 {
					s = "⟦" + s + "⟧"
				}
				c.cases[i] = s
			}
			out[key] = c
		}
	}
	return out
}
