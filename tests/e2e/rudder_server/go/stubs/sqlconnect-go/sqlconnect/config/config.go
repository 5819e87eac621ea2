// Package config is a local stand-in for github.com/rudderlabs/sqlconnect-go/sqlconnect/config.
package config

import (
	"encoding/json"
	"time"
)

type Databricks struct {
	Host              string            `json:"host"`
	Port              int               `json:"port"`
	Path              string            `json:"path"`
	Token             string            `json:"token"`
	Catalog           string            `json:"catalog"`
	UseOAuth          bool              `json:"useOauth"`
	OAuthClientID     string            `json:"oauthClientId"`
	OAuthClientSecret string            `json:"oauthClientSecret"`
	Timeout           time.Duration     `json:"timeout"`
	SessionParams     map[string]string `json:"sessionParams"`
	RetryAttempts     int               `json:"retryAttempts"`
	MinRetryWaitTime  time.Duration     `json:"minRetryWaitTime"`
	MaxRetryWaitTime  time.Duration     `json:"maxRetryWaitTime"`
}

type Snowflake struct {
	Account              string        `json:"account"`
	Warehouse            string        `json:"warehouse"`
	DBName               string        `json:"dbname"`
	User                 string        `json:"user"`
	Schema               string        `json:"schema"`
	Role                 string        `json:"role"`
	Password             string        `json:"password"`
	UseKeyPairAuth       bool          `json:"useKeyPairAuth"`
	PrivateKey           string        `json:"privateKey"`
	PrivateKeyPassphrase string        `json:"privateKeyPassphrase"`
	Application          string        `json:"application"`
	LoginTimeout         time.Duration `json:"loginTimeout"`
}

type RedshiftData struct {
	ClusterIdentifier string        `json:"clusterIdentifier"`
	Database          string        `json:"database"`
	User              string        `json:"user"`
	WorkgroupName     string        `json:"workgroupName"`
	Region            string        `json:"region"`
	RoleARN           string        `json:"roleARN"`
	ExternalID        string        `json:"externalID"`
	RoleARNExpiry     time.Duration `json:"roleARNExpiry"`
	Timeout           time.Duration `json:"timeout"`
}

func (r RedshiftData) MarshalJSON() ([]byte, error) {
	type plain RedshiftData
	return json.Marshal(plain(r))
}
