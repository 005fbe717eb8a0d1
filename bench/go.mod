module github.com/rcukit/rcukit/bench

go 1.26

replace github.com/rcukit/rcukit => ../

require (
	github.com/puzpuzpuz/xsync/v4 v4.5.0
	github.com/rcukit/rcukit v0.0.0-00010101000000-000000000000
)
