// Command myrcutorture is rcutorture for myrcu's flavors.
package main

import (
	"example.com/myrcu"
	"github.com/rcukit/rcukit/torture"
)

func main() { torture.Main(myrcu.Flavors()...) }
