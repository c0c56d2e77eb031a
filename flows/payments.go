package flows

// PayMemory is what the payment topic remembers: a pending method choice, an awaited receipt.
type PayMemory struct{}
