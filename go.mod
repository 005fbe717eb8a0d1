module github.com/rcukit/rcukit

go 1.26

require go.uber.org/goleak v1.3.0

require (
	github.com/anishathalye/porcupine v1.3.1 // indirect
	pgregory.net/rapid v1.3.0 // indirect
)
