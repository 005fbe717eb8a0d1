#!/bin/bash -eu
# Builds every Go fuzz target of the module as a libFuzzer binary, the way
# OSS-Fuzz's Go support does: compile_native_go_fuzzer PACKAGE FUNCTION
# NAME takes a native fuzz test (func FuzzX(f *testing.F)) as it is.
# ClusterFuzzLite runs this script in the image of Dockerfile, from
# $SRC/rcukit.
#
# One line per target, and every target of `go test -list '^Fuzz' ./...`
# must have one: TestClusterFuzzLiteBuildsEveryTarget (package fuzz)
# compares the two, and checks the rule that compile_native_go_fuzzer
# finds a target by, that exactly one line of its package declares
# "func NAME" with a *testing.F (so no target's name may begin another's
# in the same package).
#
# The seed corpora of testdata/fuzz/<target>/ are in Go's own corpus
# format, which libFuzzer does not read; the binaries start from the
# corpus ClusterFuzzLite keeps (batch fuzzing builds it up).
#
# Built this way a target runs without -race and without -tags rcuinject:
# the reference's injection points, and FuzzReferenceSchedule's view of
# them, need the tag; make fuzz FUZZ_TAGS=rcuinject runs that build.
module=github.com/rcukit/rcukit

compile_native_go_fuzzer $module/fuzz FuzzSchedule fuzz_schedule
compile_native_go_fuzzer $module/fuzz FuzzReferenceSchedule fuzz_reference_schedule
compile_native_go_fuzzer $module/fuzz FuzzDomainStateMachine fuzz_domain_state_machine
compile_native_go_fuzzer $module/fuzz FuzzListStateMachine fuzz_list_state_machine
compile_native_go_fuzzer $module/fuzz FuzzDomainConcurrentPlans fuzz_domain_concurrent_plans
compile_native_go_fuzzer $module/fuzz FuzzListConcurrentPlans fuzz_list_concurrent_plans
compile_native_go_fuzzer $module/linearize FuzzFastDecode fuzz_fast_decode
compile_native_go_fuzzer $module/linearize FuzzLoad fuzz_load
compile_native_go_fuzzer $module/model FuzzStep fuzz_step
