package cloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxAnswerBytes bounds a Graph API JSON answer; real ones are a few
// hundred bytes, so more is a misbehaving proxy.
const maxAnswerBytes = 1 << 20

// errMediaTooLarge is an inbound attachment over MaxMediaBytes.
var errMediaTooLarge = errors.New("cloudapi: media is larger than the download limit")

// postJSON sends body to a Graph path ("/{phone-number-id}/messages") and
// decodes a 2xx answer into out.
func (t *Transport) postJSON(ctx context.Context, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("cloudapi: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.BaseURL+t.version+path, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("cloudapi: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return t.callJSON(req, out)
}

// getJSON reads a Graph path into out.
func (t *Transport) getJSON(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.cfg.BaseURL+t.version+path, nil)
	if err != nil {
		return fmt.Errorf("cloudapi: build request: %w", err)
	}
	return t.callJSON(req, out)
}

func (t *Transport) callJSON(req *http.Request, out any) error {
	body, err := t.do(req, maxAnswerBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &GraphError{Status: http.StatusOK, Message: "unreadable answer: " + err.Error(), Kind: KindServer, Retryable: true}
	}
	return nil
}

// do sends req with the bearer token and returns the body of a 2xx answer,
// or a *GraphError. Every outcome updates the link state, since these
// calls are the only evidence of whether the Graph API works for us.
func (t *Transport) do(req *http.Request, limit int64) ([]byte, error) {
	req.Header.Set("Authorization", "Bearer "+t.cfg.AccessToken)
	resp, err := t.cfg.HTTPClient.Do(req)
	if err != nil {
		// The URL may carry a signed media link; the method and host are
		// enough to tell what failed.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = fmt.Errorf("%s %s: %w", uerr.Op, req.URL.Host, uerr.Err)
		}
		ge := networkError(err)
		if req.Context().Err() == nil {
			// A call cut short by our own shutdown says nothing about Meta.
			t.observe(ge)
		}
		return nil, ge
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		ge := networkError(fmt.Errorf("read answer: %w", err))
		t.observe(ge)
		return nil, ge
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ge := classify(resp.StatusCode, body)
		t.observe(ge)
		return nil, ge
	}
	t.observe(nil)
	if int64(len(body)) > limit {
		return nil, errMediaTooLarge
	}
	return body, nil
}

// mediaInfo is Graph's answer to GET /{media-id}.
type mediaInfo struct {
	URL      string    `json:"url"`
	MIMEType string    `json:"mime_type"`
	SHA256   string    `json:"sha256"`
	FileSize byteCount `json:"file_size"`
}

// byteCount reads file_size, which Meta's media reference shows as a
// number in some versions and as a string ("303833") in others; failing
// the download over that would lose a debtor's receipt.
type byteCount int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *byteCount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("file_size %q is not a number of bytes", s)
	}
	*n = byteCount(v)
	return nil
}

// download fetches an inbound attachment: Graph first gives a short-lived
// URL for the media id, which is then read with the same bearer token.
func (t *Transport) download(ctx context.Context, mediaID string) ([]byte, mediaInfo, error) {
	var info mediaInfo
	if err := t.getJSON(ctx, "/"+url.PathEscape(mediaID), &info); err != nil {
		return nil, info, err
	}
	if int64(info.FileSize) > t.cfg.MaxMediaBytes {
		return nil, info, errMediaTooLarge
	}
	u, err := url.Parse(info.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The token is only ever sent to a web URL Graph itself gave.
		return nil, info, fmt.Errorf("cloudapi: media %s: Graph gave no usable download URL", mediaID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, info, fmt.Errorf("cloudapi: build request: %w", err)
	}
	data, err := t.do(req, t.cfg.MaxMediaBytes)
	return data, info, err
}
