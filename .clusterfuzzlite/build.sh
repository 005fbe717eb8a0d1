#!/bin/bash -eu
# Builds every Go fuzz target of the module as a libFuzzer binary, the way
# OSS-Fuzz's Go support does: compile_native_go_fuzzer_v2 PACKAGE FUNCTION
# NAME takes a native fuzz test (func FuzzX(f *testing.F)) as it is, in
# its _test.go file and its (internal or external) test package; the
# first compile_native_go_fuzzer rewrites the target's file into a
# non-test file, which breaks targets that use the package's other test
# files or live in an external test package, as most of these do.
# ClusterFuzzLite runs this script in the image of Dockerfile, from
# $SRC/rcukit.
#
# One line per target, and every target of `go test -list '^Fuzz' ./...`
# must have one: TestClusterFuzzLiteBuildsEveryTarget (package fuzz)
# compares the two, and checks the rule that compile_native_go_fuzzer_v2
# finds a target by, that exactly one line of its package declares
# "func NAME" with a *testing.F (so no target's name may begin another's
# in the same package).
#
# The seed corpora of testdata/fuzz/<target>/ are in Go's own corpus
# format, which libFuzzer does not read; the binaries start from the
# corpus ClusterFuzzLite keeps (batch fuzzing builds it up).
#
# This build has not been run here (it needs the builder image, and so a
# Docker engine); make test checks the target list and the lookup rule.
#
# Built this way a target runs without -race and without -tags rcuinject:
# the reference's injection points, and FuzzReferenceSchedule's view of
# them, need the tag; make fuzz FUZZ_TAGS=rcuinject runs that build.
module=github.com/rcukit/rcukit

compile_native_go_fuzzer_v2 $module/fuzz FuzzSchedule fuzz_schedule
compile_native_go_fuzzer_v2 $module/fuzz FuzzReferenceSchedule fuzz_reference_schedule
compile_native_go_fuzzer_v2 $module/fuzz FuzzDomainStateMachine fuzz_domain_state_machine
compile_native_go_fuzzer_v2 $module/fuzz FuzzListStateMachine fuzz_list_state_machine
compile_native_go_fuzzer_v2 $module/fuzz FuzzDomainConcurrentPlans fuzz_domain_concurrent_plans
compile_native_go_fuzzer_v2 $module/fuzz FuzzListConcurrentPlans fuzz_list_concurrent_plans
compile_native_go_fuzzer_v2 $module/linearize FuzzFastDecode fuzz_fast_decode
compile_native_go_fuzzer_v2 $module/linearize FuzzLoad fuzz_load
compile_native_go_fuzzer_v2 $module/model FuzzStep fuzz_step
