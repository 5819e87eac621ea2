// Package sqlconnect is a local stand-in for github.com/rudderlabs/sqlconnect-go/sqlconnect (refused by
// the module proxy here). NewDB always fails: Snowflake/Databricks/Redshift-IAM warehouse connections are
// unavailable in this build.
package sqlconnect

import (
	"database/sql"
	"encoding/json"
	"fmt"
)

type DB interface {
	SqlDB() *sql.DB
}

func NewDB(name string, _ json.RawMessage) (DB, error) {
	return nil, fmt.Errorf("sqlconnect: %q is not available in this build", name)
}
