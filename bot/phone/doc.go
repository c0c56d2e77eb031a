// Package phone turns the many ways a phone number reaches Quita (typed by a
// person, exported by a billing system, or carried in a WhatsApp JID) into one
// canonical E.164 string such as "+5511988887777".
//
// It owns the Brazilian rules: valid area codes (DDDs), the trunk prefix and
// carrier selection codes ("0 21 11 …"), and the ninth mobile digit, which is
// added on input and offered back by Variants because WhatsApp often keeps
// accounts registered before 2016 under the eight-digit form. It also builds
// and reads WhatsApp JIDs as plain strings and masks numbers for logs.
//
// The package imports only the standard library; it knows nothing about
// whatsmeow, so the WhatsApp adapter converts its JID type to a string first.
// Phone numbers in logs always go through Mask.
package phone
