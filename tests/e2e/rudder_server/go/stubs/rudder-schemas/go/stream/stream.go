// Package stream is a local stand-in for github.com/rudderlabs/rudder-schemas/go/stream
// (refused by the module proxy here). Only what rudder-server compiles against.
package stream

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/rudderlabs/rudder-go-kit/logger"
)

// Message is one event of the gateway's internal batch endpoint.
type Message struct {
	Properties MessageProperties `json:"properties"`
	Payload    json.RawMessage   `json:"payload"`
}

// MessageProperties carries the routing metadata of a Message.
type MessageProperties struct {
	RequestType         string    `json:"requestType"`
	RoutingKey          string    `json:"routingKey"`
	WorkspaceID         string    `json:"workspaceID"`
	UserID              string    `json:"userID"`
	SourceID            string    `json:"sourceID"`
	DestinationID       string    `json:"destinationID,omitempty"`
	SourceJobRunID      string    `json:"sourceJobRunID,omitempty"`
	SourceTaskRunID     string    `json:"sourceTaskRunID,omitempty"`
	SourceType          string    `json:"sourceType,omitempty"`
	ReceivedAt          time.Time `json:"receivedAt"`
	RequestIP           string    `json:"requestIP"`
	TraceID             string    `json:"traceID,omitempty"`
	PartitionID         string    `json:"partitionID,omitempty"`
	IsBot               bool      `json:"isBot,omitempty"`
	BotName             string    `json:"botName,omitempty"`
	BotURL              string    `json:"botURL,omitempty"`
	BotIsInvalidBrowser bool      `json:"botIsInvalidBrowser,omitempty"`
	BotAction           string    `json:"botAction,omitempty"`
}

// LoggerFields returns the properties as logger fields.
func (p *MessageProperties) LoggerFields() []logger.Field {
	return []logger.Field{
		logger.NewStringField("requestType", p.RequestType),
		logger.NewStringField("routingKey", p.RoutingKey),
		logger.NewStringField("workspaceId", p.WorkspaceID),
		logger.NewStringField("sourceId", p.SourceID),
		logger.NewStringField("userId", p.UserID),
		logger.NewStringField("requestIP", p.RequestIP),
	}
}

// NewMessagePropertiesValidator checks the mandatory properties.
func NewMessagePropertiesValidator() func(*MessageProperties) error {
	return func(p *MessageProperties) error {
		switch {
		case p == nil:
			return errors.New("properties missing")
		case p.RequestType == "":
			return errors.New("requestType missing")
		case p.RoutingKey == "":
			return errors.New("routingKey missing")
		case p.WorkspaceID == "":
			return errors.New("workspaceID missing")
		case p.SourceID == "":
			return errors.New("sourceID missing")
		case p.ReceivedAt.IsZero():
			return errors.New("receivedAt missing")
		}
		return nil
	}
}

// NewMessageValidator checks a whole message.
func NewMessageValidator() func(*Message) error {
	pv := NewMessagePropertiesValidator()
	return func(m *Message) error {
		if m == nil {
			return errors.New("message missing")
		}
		if err := pv(&m.Properties); err != nil {
			return err
		}
		if len(m.Payload) == 0 {
			return errors.New("payload missing")
		}
		return nil
	}
}
