package cloudapi

import (
	"encoding/base64"
	"strings"
)

// The shapes of a Cloud API webhook notification, as far as Quita reads
// them. Unknown fields are ignored: Meta adds fields without notice.

type webhook struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string      `json:"field"`
			Value changeValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type changeValue struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Messages []inMessage      `json:"messages"`
	Statuses []inStatus       `json:"statuses"`
	Errors   []graphErrorBody `json:"errors"`
}

type inMessage struct {
	From      string   `json:"from"`
	ID        string   `json:"id"`
	Timestamp unixTime `json:"timestamp"`
	Type      string   `json:"type"`
	Context   *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive *struct {
		Type        string     `json:"type"`
		ButtonReply *replyPick `json:"button_reply"`
		ListReply   *replyPick `json:"list_reply"`
	} `json:"interactive"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Image    *inMedia `json:"image"`
	Document *inMedia `json:"document"`
	Audio    *inMedia `json:"audio"`
	Video    *inMedia `json:"video"`
	Sticker  *inMedia `json:"sticker"`
}

// media returns the attachment of the message's type, or an empty one.
func (m inMessage) media() inMedia {
	var p *inMedia
	switch m.Type {
	case "image":
		p = m.Image
	case "document":
		p = m.Document
	case "audio":
		p = m.Audio
	case "video":
		p = m.Video
	case "sticker":
		p = m.Sticker
	}
	if p == nil {
		return inMedia{}
	}
	return *p
}

type replyPick struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

type inMedia struct {
	ID       string `json:"id"`
	MIMEType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type inStatus struct {
	ID          string           `json:"id"`
	Status      string           `json:"status"`
	Timestamp   unixTime         `json:"timestamp"`
	RecipientID string           `json:"recipient_id"`
	Errors      []graphErrorBody `json:"errors"`
}

// decodeBase64 accepts standard and URL alphabets, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
