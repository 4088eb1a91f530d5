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

// SetFlushRefs sets how many references a fileSet on an InMemory input
// queues before it hands them to its goroutine, for a test.
func SetFlushRefs(n int) (restore func()) {
	old := flushRefs
	flushRefs = n
	return func() { flushRefs = old }
}

// SetReleaseStep sets how far the decode of an InMemory input moves on
// between calls to ReleaseBefore, for a test.
func SetReleaseStep(n int) (restore func()) {
	old := releaseStep
	releaseStep = n
	return func() { releaseStep = old }
}

// SetMaxFileReferences sets the references DecodeSummaries counts at
// most, for a test.
func SetMaxFileReferences(n int) (restore func()) {
	old := maxFileReferences
	maxFileReferences = n
	return func() { maxFileReferences = old }
}
