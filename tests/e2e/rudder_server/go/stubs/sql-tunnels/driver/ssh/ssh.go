// Package ssh is a local stand-in for github.com/rudderlabs/sql-tunnels/driver/ssh (refused by the
// module proxy here). It registers no "sql+ssh" driver: warehouse SSH tunnels are unavailable in this build.
package ssh

import "errors"

type Config struct {
	User       string
	Host       string
	Port       int
	PrivateKey []byte
}

func (c *Config) EncodeWithDSN(string) (string, error) {
	return "", errors.New("sql-tunnels: ssh tunnels are not available in this build")
}
