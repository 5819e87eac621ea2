module github.com/rudderlabs/rudder-schemas

go 1.24

require github.com/rudderlabs/rudder-go-kit v0.78.1
