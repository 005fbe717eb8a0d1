//go:build race

package torture

// raceEnabled reports whether this binary was built with -race; the
// reproduce command then asks for it too.
const raceEnabled = true
