package flows

// CareMemory is what the care topic remembers: opt-out, handoff and dispute progress.
type CareMemory struct{}
