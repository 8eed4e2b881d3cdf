package schedule

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// scheduledEvent is the event EventBridge sends to a rule's targets when no
// input is set.
type scheduledEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// ScheduledEvent returns EventBridge's "Scheduled Event" document for a
// firing of the rule ruleARN at t.
func ScheduledEvent(account, region, ruleARN string, t time.Time) []byte {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	doc := scheduledEvent{
		Version:    "0",
		ID:         fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		Account:    account,
		Time:       t.UTC().Format(time.RFC3339),
		Region:     region,
		Resources:  []string{ruleARN},
		Detail:     json.RawMessage("{}"),
	}
	out, _ := json.Marshal(doc) // every field encodes
	return out
}
