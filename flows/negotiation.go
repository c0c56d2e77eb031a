package flows

// DealMemory is what the negotiation topic remembers: plan options on the table, promises.
type DealMemory struct{}
