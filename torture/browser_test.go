package torture_test

// The HTML report in a real browser: headless Chromium renders a SUCCESS
// and a FAILURE report, and the checks below hold each to its DOM (after
// its script ran), its console (no JavaScript error, no message at all)
// and its screenshot (not blank). ci/browser.sh installs Chromium and runs
// this test; without Chromium it skips and says how to get it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rcukit/rcukit/internal/impl"
	"github.com/rcukit/rcukit/torture"
)

// chromium returns the path of a Chromium to run: $CHROMIUM, or the first
// of the usual names on $PATH.
func chromium(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on $PATH (chromium, chromium-browser, google-chrome) and $CHROMIUM is unset: " +
		"run ci/browser.sh, which installs Debian's chromium, to render the HTML reports in a browser")
	return ""
}

// browser runs one headless Chromium for one page.
type browser struct {
	exe string
	dir string // for profiles
}

// run runs Chromium headless on page with args; it returns what it
// printed on standard output and the console messages it logged.
func (b browser) run(page string, args ...string) (stdout []byte, console []string, err error) {
	profile, err := os.MkdirTemp(b.dir, "profile-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hung browser, not a verdict
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"}
	abs, err := filepath.Abs(page)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, b.exe, append(append(base, args...), "file://"+abs)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%s: %v\n%s", b.exe, err, errOut.Bytes())
	}
	for _, l := range strings.Split(errOut.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	return out.Bytes(), console, nil
}

// checkPage renders page and checks it: the DOM after the page's script
// ran holds want (the verdict) and every plot; the console stays silent;
// the screenshot, written to shot, is not blank.
func (b browser) checkPage(page, want, shot string) error {
	dom, console, err := b.run(page, "--dump-dom")
	if err != nil {
		return err
	}
	var errs []error
	if len(console) > 0 {
		errs = append(errs, fmt.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n")))
	}
	plots := len(regexp.MustCompile(`<figure class="plot"`).FindAll(dom, -1))
	m := regexp.MustCompile(`<body data-ready="(\d+)"`).FindSubmatch(dom)
	switch {
	case m == nil:
		errs = append(errs, errors.New("the page's script did not run to its end: no data-ready on body"))
	case string(m[1]) != strconv.Itoa(plots) || plots < 5:
		errs = append(errs, fmt.Errorf("the script saw %s plots; the DOM holds %d (want 5 or more)", m[1], plots))
	}
	if n := len(regexp.MustCompile(`<polyline class="series"`).FindAll(dom, -1)); n < plots {
		errs = append(errs, fmt.Errorf("%d plotted series in %d plots", n, plots))
	}
	if !bytes.Contains(dom, []byte(`id="verdict">`+want+`</span>`)) {
		errs = append(errs, fmt.Errorf("the DOM has no verdict %s", want))
	}
	if _, _, err := b.run(page, "--window-size=800,3000", "--screenshot="+shot); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := notBlank(shot); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// notBlank checks that the image in file is a picture: at least 2% of its
// pixels differ from the top-left one, in at least 16 colors.
func notBlank(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("screenshot %s: %v", file, err)
	}
	r := img.Bounds()
	bg := img.At(r.Min.X, r.Min.Y)
	colors := map[[4]uint32]bool{}
	var differ int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.At(x, y)
			if c != bg {
				differ++
			}
			cr, cg, cb, ca := c.RGBA()
			colors[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	if total := r.Dx() * r.Dy(); differ*50 < total || len(colors) < 16 {
		return fmt.Errorf("screenshot %s is blank: %d of %d pixels differ from the background, in %d colors", file, differ, total, len(colors))
	}
	return nil
}

// artifacts is where the reports and their screenshots go: $RCUKIT_ARTIFACTS
// (ci/browser.sh sets it), or a temporary directory. With $RCUKIT_REPORTS,
// the reports are not made here but read from report-success.html and
// report-failure.html in that directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("RCUKIT_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReportInBrowser renders a SUCCESS report and a FAILURE report in
// headless Chromium and checks both; then it feeds the same checks a page
// whose script throws, a page without the plots and a blank page, and
// asserts that each of them fails.
func TestReportInBrowser(t *testing.T) {
	if impl.InjectTags != "" && os.Getenv("RCUKIT_REPORTS") == "" {
		t.Skip("the report does not depend on the build: the plain build renders it (make test runs both)")
	}
	b := browser{exe: chromium(t), dir: t.TempDir()}
	out := artifacts(t)
	write := func(name string, res *torture.Result) string {
		page := filepath.Join(out, name+".html")
		f, err := os.Create(page)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := res.WriteHTML(f); err != nil {
			t.Fatal(err)
		}
		return page
	}

	pages := []struct{ name, verdict string }{{"report-success", "SUCCESS"}, {"report-failure", "FAILURE"}}
	if dir := os.Getenv("RCUKIT_REPORTS"); dir != "" {
		// ci/browser.sh: reports that rcutorture -html wrote.
		for i, p := range pages {
			pages[i].name = filepath.Join(dir, p.name+".html")
		}
	} else {
		ok, okReport, _ := reportRun(t, trivial("trivial", nil))
		mustSucceed(t, ok, okReport)
		bad, badReport, _ := reportRun(t, bustedBarrier(t))
		mustFail(t, bad, badReport, torture.KindBarrier)
		pages[0].name, pages[1].name = write("report-success", ok), write("report-failure", bad)
	}
	for _, p := range pages {
		shot := filepath.Join(out, strings.TrimSuffix(filepath.Base(p.name), ".html")+".png")
		if err := b.checkPage(p.name, p.verdict, shot); err != nil {
			t.Errorf("%s: %v", p.name, err)
		} else {
			t.Logf("%s: rendered and checked; screenshot %s", p.name, shot)
		}
	}

	// Negative controls: the checks catch a broken page.
	good, err := os.ReadFile(pages[0].name)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, page, want string
	}{
		{"script error", strings.Replace(string(good), `"use strict";`, `"use strict"; undefinedFunction();`, 1), "the page's script did not run to its end"},
		{"console message", strings.Replace(string(good), `"use strict";`, `"use strict"; console.error("boom");`, 1), "the page logged to the console"},
		{"no plots", regexp.MustCompile(`<polyline class="series"[^>]*/>`).ReplaceAllString(string(good), ""), "plotted series"},
		{"blank", `<!DOCTYPE html><html><body data-ready="0"></body></html>`, "is blank"},
	} {
		page := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".html")
		if err := os.WriteFile(page, []byte(c.page), 0o644); err != nil {
			t.Fatal(err)
		}
		err := b.checkPage(page, "SUCCESS", filepath.Join(dir, "shot.png"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: the checks said %v; want an error with %q", c.name, err, c.want)
		}
	}
}
