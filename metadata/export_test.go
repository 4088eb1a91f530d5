package metadata

// SetWindowSize sets DecodeSummaries' initial window size for a test and
// returns a function that restores it.
func SetWindowSize(n int) (restore func()) {
	old := windowSize
	windowSize = n
	return func() { windowSize = old }
}
