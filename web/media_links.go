package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// MediaLinkTTL is how long a signed media link works: long enough for Meta
// to fetch an attachment after a send is retried, short enough that a
// leaked link soon dies.
const MediaLinkTTL = 24 * time.Hour

// SignMediaPath turns a stored attachment's path ("/v1/media/ID") into one
// that works without a token until now+MediaLinkTTL, for a third party
// that must fetch it (the WhatsApp Cloud API sends media by link). The
// signature is keyed by the API token, so rotating the token revokes every
// link. Other paths are returned unchanged.
func SignMediaPath(apiToken, path string, now time.Time) string {
	id, ok := strings.CutPrefix(path, "/v1/media/")
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return path
	}
	exp := strconv.FormatInt(now.Add(MediaLinkTTL).Unix(), 10)
	return path + "?exp=" + exp + "&sig=" + mediaSignature(apiToken, id, exp)
}

func mediaSignature(apiToken, id, exp string) string {
	mac := hmac.New(sha256.New, []byte(apiToken))
	mac.Write([]byte("quita media link v1." + id + "." + exp))
	return hex.EncodeToString(mac.Sum(nil))
}

// mediaAccess admits a valid, unexpired signed media link and otherwise
// falls back to the usual authentication.
func (s *server) mediaAccess(fallback fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		exp, sig := c.Query("exp"), c.Query("sig")
		if exp == "" && sig == "" {
			return fallback(c)
		}
		sec, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || s.APIToken == "" || time.Now().Unix() > sec ||
			!constantEqual(sig, mediaSignature(s.APIToken, c.Params("id"), exp)) {
			return fallback(c)
		}
		return c.Next()
	}
}
