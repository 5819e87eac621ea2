// Package personalizeevents is a local stand-in for github.com/aws/aws-sdk-go-v2/service/personalizeevents
// (refused by the module proxy here). Every call fails: the AWS Personalize destination is unavailable in this build.
package personalizeevents

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
)

// ErrUnavailable is returned by every call of this stand-in.
var ErrUnavailable = errors.New("personalizeevents: not available in this build")

type Options struct{}

type Client struct{}

func NewFromConfig(_ aws.Config, _ ...func(*Options)) *Client { return &Client{} }

type PutEventsInput struct {
	EventList  []types.Event
	SessionId  *string
	TrackingId *string
	UserId     *string
}
type PutEventsOutput struct{}

type PutUsersInput struct {
	Users      []types.User
	DatasetArn *string
}
type PutUsersOutput struct{}

type PutItemsInput struct {
	Items      []types.Item
	DatasetArn *string
}
type PutItemsOutput struct{}

func (*Client) PutEvents(context.Context, *PutEventsInput, ...func(*Options)) (*PutEventsOutput, error) {
	return nil, ErrUnavailable
}

func (*Client) PutUsers(context.Context, *PutUsersInput, ...func(*Options)) (*PutUsersOutput, error) {
	return nil, ErrUnavailable
}

func (*Client) PutItems(context.Context, *PutItemsInput, ...func(*Options)) (*PutItemsOutput, error) {
	return nil, ErrUnavailable
}
