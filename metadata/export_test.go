package metadata

// SetWindowSize sets DecodeSummaries' initial window size for a test and
// returns a function that restores it.
func SetWindowSize(n int) (restore func()) {
	old := windowSize
	windowSize = n
	return func() { windowSize = old }
}

// SetFastPath turns DecodeSummaries' fast path on or off for a test, and
// SetAsyncFiles its hashing on a goroutine of its own; each returns a
// function that restores the setting.
func SetFastPath(on bool) (restore func()) {
	old := fastDisabled
	fastDisabled = !on
	return func() { fastDisabled = old }
}

func SetAsyncFiles(on bool) (restore func()) {
	old := asyncFiles
	asyncFiles = func() bool { return on }
	return func() { asyncFiles = old }
}

// FastRecords is the number of subtask records the fast path has read.
func FastRecords() int64 { return fastRecords.Load() }
