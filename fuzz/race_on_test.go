//go:build race

package fuzz

const raceBuild = true
