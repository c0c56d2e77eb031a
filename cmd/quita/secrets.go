package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/webhooks"
)

// ensureSecrets fills the API token and webhook secret left unset from
// values stored at first start. Generated values are printed once, when
// they are created; there is never a fixed default.
func ensureSecrets(ctx context.Context, cfg *config, st *store.Store, stdout io.Writer) error {
	if cfg.APIToken == "" {
		token, err := randomToken()
		if err != nil {
			return err
		}
		stored, created, err := st.SettingOrCreate(ctx, "api_token", token)
		if err != nil {
			return err
		}
		cfg.APIToken = stored
		cfg.tokenGenerated = created
		if created {
			fmt.Fprintf(stdout, "generated QUITA_API_TOKEN (stored in the database; shown only now):\n  %s\n", stored)
		}
	}
	if cfg.WebhookSecret == "" {
		secret, err := webhooks.GenerateSecret()
		if err != nil {
			return err
		}
		stored, created, err := st.SettingOrCreate(ctx, "webhook_secret", secret)
		if err != nil {
			return err
		}
		cfg.WebhookSecret = stored
		if created {
			fmt.Fprintf(stdout, "generated QUITA_WEBHOOK_SECRET for billing webhooks (stored; shown only now):\n  %s\n", stored)
		}
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return "qt_" + base64.RawURLEncoding.EncodeToString(b), nil
}
