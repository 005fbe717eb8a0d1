//go:build !race

package rcutest

const raceEnabled = false
