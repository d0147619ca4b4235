package alert

import (
	"fmt"
	htmltemplate "html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// templateLib holds the templates that notification fields may call: the
// embedded defaults, then the definitions of the files of
// Config.Templates, parsed once per configuration. A file may redefine a
// default ({{ define "slack.default.title" }}), as in Alertmanager, where
// template files are parsed after the defaults.
type templateLib struct {
	text *template.Template     // for titles, texts and headers
	html *htmltemplate.Template // for e-mail HTML
	// files are the template files read, in order.
	files []string
}

// newTemplateLib parses the defaults and the files matched by globs
// (relative to the working directory; the config loader has made them
// relative to the config file's folder). Errors are field errors under
// "templates[i]", naming the file and line. warnings are the globs that
// match no file, which Alertmanager accepts.
func newTemplateLib(globs []string) (lib *templateLib, warnings []string, errs field.List) {
	text, err := template.New("").Option("missingkey=zero").Funcs(templateFuncs(time.Now)).ParseFS(defaultTemplateFS, "templates/*.text.tmpl")
	if err != nil {
		errs.Add("", fmt.Errorf("default templates: %w", err)) // a build defect, caught by the tests
		return nil, nil, errs
	}
	html, err := htmltemplate.New("").Option("missingkey=zero").Funcs(htmlTemplateFuncs(time.Now)).ParseFS(defaultTemplateFS, "templates/*.html.tmpl")
	if err != nil {
		errs.Add("", fmt.Errorf("default templates: %w", err))
		return nil, nil, errs
	}
	lib = &templateLib{text: text, html: html}
	for i, glob := range globs {
		p := fmt.Sprintf("templates[%d]", i)
		files, err := filepath.Glob(glob)
		switch {
		case err != nil:
			errs.Addf(p, "invalid pattern %q: %v", glob, err)
			continue
		case len(files) == 0 && !hasGlobMeta(glob):
			errs.Addf(p, "no such file: %s", glob)
			continue
		case len(files) == 0:
			warnings = append(warnings, fmt.Sprintf("%s (%q)", p, glob))
			continue
		}
		for _, file := range files {
			if err := lib.parseFile(file); err != nil {
				errs.Add(p, err)
			}
		}
	}
	return lib, warnings, errs
}

// hasGlobMeta reports whether a path has filepath.Match's special
// characters.
func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// parseFile adds the definitions of one template file to both sets. The
// file's own top-level text becomes a template named after its base name,
// as with Alertmanager's ParseGlob.
func (l *templateLib) parseFile(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read template file: %w", err)
	}
	src, name := string(b), filepath.Base(file)
	if _, err := l.text.New(name).Parse(src); err != nil {
		return fileTemplateError(file, name, err)
	}
	if _, err := l.html.New(name).Parse(src); err != nil {
		return fileTemplateError(file, name, err)
	}
	l.files = append(l.files, file)
	return nil
}

// templateErrPrefix is text/template's "template: name:line:" (column
// and context may follow).
var templateErrPrefix = regexp.MustCompile(`^(?:html/)?template: ?([^:]*):(\d+):`)

// fileTemplateError rewrites a parse error to name the file by its path
// ("am/slack.tmpl:3: function "nope" not defined").
func fileTemplateError(file, name string, err error) error {
	msg := err.Error()
	if m := templateErrPrefix.FindStringSubmatchIndex(msg); m != nil && msg[m[2]:m[3]] == name {
		return fmt.Errorf("invalid template: %s:%s:%s", file, msg[m[4]:m[5]], msg[m[1]:])
	}
	return fmt.Errorf("invalid template in %s: %s", file, msg)
}

// textClone returns a copy of the text set, for one field to add itself
// to; nil lib means the defaults alone.
func (l *templateLib) textClone() (*template.Template, error) {
	if l == nil {
		var errs field.List
		if l, _, errs = newTemplateLib(nil); errs != nil {
			return nil, errs.Err()
		}
	}
	return l.text.Clone()
}

// htmlClone returns a copy of the HTML set; nil lib means the defaults.
func (l *templateLib) htmlClone() (*htmltemplate.Template, error) {
	if l == nil {
		var errs field.List
		if l, _, errs = newTemplateLib(nil); errs != nil {
			return nil, errs.Err()
		}
	}
	return l.html.Clone()
}
