// An RCU that lives outside rcukit, as a user's would. The tests of
// packages rcutest and torture check that it can be validated with
// rcutest.Test and tortured with its own torture.Main, and that every
// reproduce command printed for it runs as printed.
module example.com/myrcu

go 1.26

require github.com/rcukit/rcukit v0.0.0

require github.com/anishathalye/porcupine v1.3.1 // indirect

replace github.com/rcukit/rcukit => ../..
