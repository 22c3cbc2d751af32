package i18n

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGermanSaysEveryMessageEnglishHas(t *testing.T) {
	for key := range english {
		if _, ok := german[key]; !ok {
			t.Errorf("the German catalogue lacks %q (English: %v)", key, english[key])
		}
	}
	for key := range german {
		if _, ok := english[key]; !ok {
			t.Errorf("the German catalogue has %q, which English does not", key)
		}
	}
}

// verb is one argument a format uses: which, and how.
type verb struct {
	arg  int
	kind string
}

var verbs = regexp.MustCompile(`%(\[(\d+)\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// argsOf are the arguments a format uses, numbered as fmt numbers them.
func argsOf(format string) []verb {
	var out []verb
	next := 1
	for _, m := range verbs.FindAllStringSubmatch(format, -1) {
		if m[4] == "%" {
			continue
		}
		if m[2] != "" {
			next, _ = strconv.Atoi(m[2])
		}
		out = append(out, verb{next, m[4]})
		next++
	}
	return out
}

// used are the arguments any form of a message uses.
func used(m any) []verb {
	var out []verb
	switch m := m.(type) {
	case string:
		out = argsOf(m)
	case counted:
		for i := 1; i < len(m.cases); i += 2 {
			out = append(out, argsOf(m.cases[i])...)
		}
		out = append(out, verb{m.arg, "d"})
	}
	slices.SortFunc(out, func(a, b verb) int { return a.arg - b.arg })
	return slices.CompactFunc(out, func(a, b verb) bool { return a == b })
}

// A translation that drops or retypes an argument loses a name, a count
// or a wait from the sentence.
func TestTranslationsUseTheSameArguments(t *testing.T) {
	for key, en := range english {
		de, ok := german[key]
		if !ok {
			continue
		}
		if a, b := used(en), used(de); !slices.Equal(a, b) {
			t.Errorf("%s: English uses %v, German %v", key, a, b)
		}
	}
}

func TestPluralsAndNumbersAreTheLanguages(t *testing.T) {
	for _, c := range []struct {
		lang *Language
		key  string
		arg  int
		want string
	}{
		{English, "time.daysAgo", 1, "1 day ago"},
		{English, "time.daysAgo", 3, "3 days ago"},
		{German, "time.daysAgo", 1, "vor 1 Tag"},
		{German, "time.daysAgo", 3, "vor 3 Tagen"},
		{German, "time.minutesAgo", 0, "vor 0 Minuten"},
		{English, "runs.count", 1234, "1,234"},
		{German, "runs.count", 1234, "1.234"},
		{German, "run.appDevices", 1, "auf 1 Gerät"},
		{Pseudo, "run.appDevices", 2, "⟦on 2 devices⟧"},
	} {
		// Twice: the second is the remembered one, and says the same.
		for range 2 {
			if got := c.lang.Sprintf(c.key, c.arg); got != c.want {
				t.Errorf("%s %s(%d) = %q, want %q", c.lang.Code(), c.key, c.arg, got, c.want)
			}
		}
	}
	// The memo of counted messages stays bounded and keeps saying right.
	for n := range maxCounted + 10 {
		if got, want := German.Sprintf("time.daysAgo", n), German.printer.Sprintf("time.daysAgo", n); got != want {
			t.Fatalf("daysAgo(%d) = %q, the printer says %q", n, got, want)
		}
	}
	if n := len(German.counted.said); n > maxCounted {
		t.Errorf("%d counted messages remembered, at most %d", n, maxCounted)
	}
	// A Text argument is said in the sentence's language.
	ctx := With(context.Background(), German)
	if got := T(ctx, "request.refusedSay", M("duration.aMinute")); got != "An Intune wurde nichts gesendet. Versuchen Sie es in einer Minute erneut." {
		t.Errorf("a Text inside a German sentence: %q", got)
	}
	if got := M("duration.aMinute").String(); got != "a minute" {
		t.Errorf("a Text for the log says %q, want English", got)
	}
	if got := Data("Adele Vance").In(ctx); got != "Adele Vance" {
		t.Errorf("data is shown as %q", got)
	}
}

func TestTheLanguageIsChosenThenAsked(t *testing.T) {
	for _, c := range []struct{ chosen, header, want string }{
		{"", "de-DE,de;q=0.9,en;q=0.8", "de"},
		{"", "de-AT", "de"},
		{"", "de-CH, en;q=0.5", "de"},
		{"", "en-GB,de;q=0.7", "en"},
		{"", "fr-FR,fr;q=0.9", "en"},
		{"", "fr-FR, de;q=0.5", "de"},
		{"", "", "en"},
		{"", "%%%;;q=banana", "en"},
		{"de", "en-US", "de"},
		{"en", "de-DE", "en"},
		{"xx", "de-DE", "de"},
		{"en-XA", "", "en-XA"},
	} {
		if got := Choose(c.chosen, c.header).Code(); got != c.want {
			t.Errorf("chosen %q, Accept-Language %q: %s, want %s", c.chosen, c.header, got, c.want)
		}
	}
}

// keyShaped is how message keys are written: an area and a name.
var keyShaped = regexp.MustCompile(`^[a-z][A-Za-z]*\.[A-Za-z0-9]+$`)

// Every key the code names is in the catalogue, and every message in the
// catalogue is named somewhere: the string literals of the HTTP layer and
// the views that look like a key of one of the catalogue's areas are its
// keys.
func TestTheCodeAndTheCatalogueAgree(t *testing.T) {
	areas := map[string]bool{}
	for key := range english {
		areas[strings.SplitN(key, ".", 2)[0]] = true
	}
	named := map[string]string{}
	for _, dir := range []string{"web", "views"} {
		walk(t, filepath.Join("..", "..", dir), areas, named)
	}
	for key, path := range named {
		if _, ok := english[key]; !ok {
			t.Errorf("%s names %q, which is not in the catalogue", path, key)
		}
	}
	for key := range english {
		if _, ok := named[key]; !ok {
			t.Errorf("the catalogue has %q, which no code says", key)
		}
	}
	if len(named) < 100 {
		t.Fatalf("found only %d keys in the code: is the walk looking in the right place?", len(named))
	}
}

// walk adds the key-shaped string literals of dir's Go files to named.
func walk(t *testing.T, dir string, areas map[string]bool, named map[string]string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "i18n" {
			return nil // the catalogues themselves
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && keyShaped.MatchString(s) &&
					areas[strings.SplitN(s, ".", 2)[0]] {
					named[s] = path
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
