//go:build race

package torture_test

// raceFlag is how the reproduce command asks for the race detector.
const raceFlag = "-race "
