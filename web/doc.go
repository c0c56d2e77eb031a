// Package web is Quita's HTTP surface on fiber: the /v1 API, the simulator
// endpoints and chat page, health, readiness and metrics, with one error
// shape for every failure. It is the only package importing fiber, so a
// move to fiber v3 touches nothing else. DTOs live here and are converted
// from domain types with toJSON helpers.
package web
