// Package hostile holds the hostile-input test suite: inputs generated in
// the tests, one per class of attack, each run through the spcheck binary
// in a subprocess whose error, time and peak memory are checked.
package hostile
